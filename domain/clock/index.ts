export {
  applyClockEvent,
  evaluateClock,
  finishedWithinLimit,
  NEW_CLOCK,
  replayClock,
  type ClockEvaluation,
  type ClockEvent,
  type ClockEventInput,
  type ClockEventType,
  type ClockPhase,
  type ClockState,
  type ClockStatus,
} from './case-clock.js';
export { ClockNotStartedError, ClockTransitionError, InvalidLimitError } from './clock.errors.js';
export {
  DEFAULT_CORRECTION_WORKING_DAYS,
  STAGE_WORKING_DAYS,
  stageDeadline,
  stageStatus,
  type Stage,
  type StageDeadline,
  type StageStatus,
} from './stage-deadlines.js';
