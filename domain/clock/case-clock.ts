import {
  endOfShanghaiDay,
  instantToEpochMs,
  shanghaiDateOf,
  type Instant,
  type WorkingCalendar,
} from '../calendar/index.js';
import { ClockNotStartedError, ClockTransitionError, InvalidLimitError } from './clock.errors.js';

/**
 * The time limit of one case, counted in working days (DESIGN §3.5, seed 000):
 * START when the receiving window accepts, PAUSE when the materials leave it,
 * RESUME when the jurisdiction window receives them, STOP when the result is sent.
 * The state is the list of accepted events; every function returns a new state.
 */

export type ClockEventType = 'START' | 'PAUSE' | 'RESUME' | 'STOP';
export type ClockPhase = 'NOT_STARTED' | 'RUNNING' | 'PAUSED' | 'STOPPED';
export type ClockStatus = 'ON_TRACK' | 'AT_RISK' | 'OVERDUE' | 'STOPPED';

export interface ClockEventInput {
  readonly type: ClockEventType;
  readonly at: Instant;
}

export interface ClockEvent {
  readonly type: ClockEventType;
  /** Normalised to UTC ISO-8601 so stored streams compare and serialise the same way. */
  readonly at: string;
}

export interface ClockState {
  readonly phase: ClockPhase;
  readonly events: readonly ClockEvent[];
}

export interface ClockEvaluation {
  readonly consumedWorkingDays: number;
  /** Never negative; `consumedWorkingDays - limit` tells by how much an overdue case is late. */
  readonly remainingWorkingDays: number;
  /**
   * End of the working day on which the limit is used up, with +08:00. A running
   * clock has one, and so has a paused one whose limit is already used up (the
   * day lies behind it); a paused clock with days left has none (the day depends
   * on when the jurisdiction receives the materials), and a stopped clock has
   * nothing left to be due.
   */
  readonly dueAt: string | null;
  readonly paused: boolean;
  readonly status: ClockStatus;
}

export const NEW_CLOCK: ClockState = Object.freeze({ phase: 'NOT_STARTED', events: Object.freeze([]) });

const TRANSITIONS: Readonly<Record<ClockPhase, Partial<Record<ClockEventType, ClockPhase>>>> = {
  NOT_STARTED: { START: 'RUNNING' },
  RUNNING: { PAUSE: 'PAUSED', STOP: 'STOPPED' },
  // A paused case can still end (withdrawal, termination) while its materials are in transit.
  PAUSED: { RESUME: 'RUNNING', STOP: 'STOPPED' },
  STOPPED: {},
};

const REFUSALS: Readonly<Record<ClockPhase, string>> = {
  NOT_STARTED: '计时尚未开始，第一个事件必须是 START（受理）',
  RUNNING: '计时进行中，只能 PAUSE（材料转出）或 STOP（发出办理结果）',
  PAUSED: '计时已暂停，只能 RESUME（属地收到材料）或 STOP',
  STOPPED: '计时已结束，不再接受任何事件',
};

/** Throws `ClockTransitionError` for an event the rules refuse, leaving `state` untouched. */
export function applyClockEvent(state: ClockState, event: ClockEventInput): ClockState {
  const next = TRANSITIONS[state.phase][event.type];
  if (next === undefined) throw new ClockTransitionError(state.phase, String(event.type), REFUSALS[state.phase]);
  const atMs = instantToEpochMs(event.at);
  const last = state.events.at(-1);
  if (last && atMs < Date.parse(last.at)) {
    throw new ClockTransitionError(
      state.phase,
      event.type,
      `事件时间 ${new Date(atMs).toISOString()} 早于上一事件 ${last.type} 的时间 ${last.at}`,
    );
  }
  const recorded: ClockEvent = Object.freeze({ type: event.type, at: new Date(atMs).toISOString() });
  return Object.freeze({ phase: next, events: Object.freeze([...state.events, recorded]) });
}

/** Rebuilds a clock from a stored event stream, applying the same checks as live events. */
export function replayClock(events: readonly ClockEventInput[]): ClockState {
  return events.reduce(applyClockEvent, NEW_CLOCK);
}

interface ClosedInterval {
  readonly from: string;
  readonly count: number;
}

/**
 * The clock as of `now`; events after `now` are ignored, so the answer for a past
 * instant never changes when later events arrive.
 *
 * A running interval counts the working days in (day it began, day it ends]. Leaving
 * out the first day is how Chinese law counts any period in days (民法典 art. 201:
 * 开始的当日不计入); counting the last day makes back-to-back intervals (pause and
 * resume on one day) share that day exactly once. For the open interval the day ends
 * today, so the day in progress already counts as spent: staff see today as used,
 * never as spare, and the last day of a limit is never mistaken for a free one.
 */
export function evaluateClock(
  state: ClockState,
  limitDays: number,
  now: Instant,
  calendar: WorkingCalendar,
): ClockEvaluation {
  if (!Number.isSafeInteger(limitDays) || limitDays < 0) throw new InvalidLimitError(limitDays);
  const nowMs = instantToEpochMs(now);
  const today = shanghaiDateOf(now);

  let phase: ClockPhase = 'NOT_STARTED';
  let openFrom: string | null = null;
  const closed: ClosedInterval[] = [];
  for (const event of state.events) {
    if (Date.parse(event.at) > nowMs) break;
    const day = shanghaiDateOf(event.at);
    if (openFrom !== null) closed.push({ from: openFrom, count: calendar.workingDaysBetween(openFrom, day) });
    openFrom = event.type === 'START' || event.type === 'RESUME' ? day : null;
    phase = TRANSITIONS[phase][event.type] ?? phase;
  }
  if (phase === 'NOT_STARTED') throw new ClockNotStartedError();

  const consumedClosed = closed.reduce((sum, interval) => sum + interval.count, 0);
  const consumed = consumedClosed + (openFrom === null ? 0 : calendar.workingDaysBetween(openFrom, today));
  const remaining = Math.max(0, limitDays - consumed);

  if (phase === 'STOPPED') {
    return { consumedWorkingDays: consumed, remainingWorkingDays: remaining, dueAt: null, paused: false, status: 'STOPPED' };
  }
  if (openFrom === null) {
    // Paused: nothing is consumed until RESUME. A limit used up before the pause has its due day behind it, and
    // is overdue past that day like a running one: whatever happens next happens after the limit (the one
    // definition that the alerts and statistics share, `finishedWithinLimit`).
    if (consumed < limitDays) {
      return { consumedWorkingDays: consumed, remainingWorkingDays: remaining, dueAt: null, paused: true, status: remaining <= 1 ? 'AT_RISK' : 'ON_TRACK' };
    }
    const dueDate = dueDateOf(closed, null, limitDays, calendar);
    return {
      consumedWorkingDays: consumed,
      remainingWorkingDays: remaining,
      dueAt: endOfShanghaiDay(dueDate),
      paused: true,
      status: today > dueDate ? 'OVERDUE' : 'AT_RISK',
    };
  }

  const dueDate = dueDateOf(closed, openFrom, limitDays, calendar);
  // The last day of a period runs to midnight (民法典 art. 203) rather than to the
  // hall's closing time, because transfers, decisions and mailings are not bound to
  // counter hours. Compared as civil dates so that 23:59:59.5 on the due day is in time.
  const status: ClockStatus = today > dueDate ? 'OVERDUE' : remaining <= 1 ? 'AT_RISK' : 'ON_TRACK';
  return {
    consumedWorkingDays: consumed,
    remainingWorkingDays: remaining,
    dueAt: endOfShanghaiDay(dueDate),
    paused: false,
    status,
  };
}

/**
 * The day on which the limit-th working day is counted. It may lie in an earlier
 * interval when the limit ran out before a pause; a limit of 0 is due on the day of
 * acceptance itself.
 */
function dueDateOf(
  closed: readonly ClosedInterval[],
  openFrom: string | null,
  limit: number,
  calendar: WorkingCalendar,
): string {
  let before = 0;
  for (const interval of closed) {
    if (before + interval.count >= limit) return calendar.addWorkingDays(interval.from, limit - before);
    before += interval.count;
  }
  if (openFrom === null) throw new Error('dueDateOf: the limit is not used up in the closed intervals');
  return calendar.addWorkingDays(openFrom, limit - before);
}

/**
 * 承诺时限内办结, the one definition the clock, the alerts and the statistics share:
 * the clock stopped no later than its due day, as the clock read at the moment of
 * the stop. A result sent on the Saturday after a limit that ran out on Friday is
 * late; one sent on the day the jurisdiction resumed a limit that ran out before
 * the pause is late too (its due day lies behind it). Null while not stopped.
 */
export function finishedWithinLimit(state: ClockState, limitDays: number, calendar: WorkingCalendar): boolean | null {
  const stop = state.events.at(-1);
  if (state.phase !== 'STOPPED' || !stop) return null;
  const events = state.events.slice(0, -1);
  const phase = events.reduce<ClockPhase>((current, event) => TRANSITIONS[current][event.type] ?? current, 'NOT_STARTED');
  return evaluateClock({ phase, events }, limitDays, stop.at, calendar).status !== 'OVERDUE';
}
