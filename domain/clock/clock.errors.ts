import { DomainError, InputError } from '../errors.js';

/** An event the clock's rules do not allow in its current state; the state is left as it was. */
export class ClockTransitionError extends DomainError {
  readonly phase: string;
  readonly eventType: string;

  constructor(phase: string, eventType: string, reason: string) {
    super('CLOCK.INVALID_TRANSITION', `计时事件 ${eventType} 被拒绝（当前状态 ${phase}）：${reason}`);
    this.phase = phase;
    this.eventType = eventType;
  }
}

/** A clock is only evaluated after acceptance; before that the case has no time limit running. */
export class ClockNotStartedError extends DomainError {
  constructor() {
    super('CLOCK.NOT_STARTED', '办件尚未受理，计时未开始');
  }
}

export class InvalidLimitError extends InputError {
  constructor(value: unknown) {
    super('INPUT.INVALID_LIMIT', `时限应为非负整数个工作日: ${JSON.stringify(value)}`);
  }
}
