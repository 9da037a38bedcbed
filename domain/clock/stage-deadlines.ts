import { endOfShanghaiDay, shanghaiDateOf, type Instant, type WorkingCalendar } from '../calendar/index.js';

/**
 * Deadlines of the single steps around the case clock (seed 000 二(一)(二)(四)). Each is
 * counted like the clock: the day of the opening event is not counted, and the step
 * is due by the end of the n-th working day after it.
 */
export type Stage =
  /** 线下流转: paper mailed by 政务专递 within 2 WD of receipt (also when online transfer needs the paper). */
  | 'PAPER_MAIL'
  /** 线上流转: scanned materials transmitted within 1 WD of receipt. */
  | 'ONLINE_TRANSFER'
  /** Jurisdiction tells the receiving window within 1 WD after mailing the result. */
  | 'RECEIVING_WINDOW_FEEDBACK'
  /** Receiving window tells the applicant within 1 WD after the result reaches it. */
  | 'APPLICANT_PICKUP_NOTICE'
  /** Applicant corrects the materials listed in a 一次性告知书. */
  | 'CORRECTION';

/**
 * The seed's notice form leaves the correction period open ("在×日内"). This project
 * defaults to 5 working days, long enough to fetch a document from another office
 * and counted in working days so that the printed date never falls on a holiday
 * when the window is closed; a service item may configure its own.
 */
export const DEFAULT_CORRECTION_WORKING_DAYS = 5;

export const STAGE_WORKING_DAYS: Readonly<Record<Exclude<Stage, 'CORRECTION'>, number>> = Object.freeze({
  PAPER_MAIL: 2,
  ONLINE_TRANSFER: 1,
  RECEIVING_WINDOW_FEEDBACK: 1,
  APPLICANT_PICKUP_NOTICE: 1,
});

export interface StageDeadline {
  readonly stage: Stage;
  readonly workingDays: number;
  readonly dueDate: string;
  /** End of `dueDate` in Asia/Shanghai (23:59:59+08:00), the same convention as the case clock. */
  readonly dueAt: string;
}

export type StageStatus = 'ON_TRACK' | 'AT_RISK' | 'OVERDUE' | 'MET' | 'MET_LATE';

/** `openedAt` is the event that starts the step: receipt, result mailed, result arrived, notice issued. */
export function stageDeadline(
  stage: Stage,
  openedAt: Instant,
  calendar: WorkingCalendar,
  options: { correctionWorkingDays?: number } = {},
): StageDeadline {
  const workingDays =
    stage === 'CORRECTION' ? (options.correctionWorkingDays ?? DEFAULT_CORRECTION_WORKING_DAYS) : STAGE_WORKING_DAYS[stage];
  const dueDate = calendar.addWorkingDays(shanghaiDateOf(openedAt), workingDays);
  return Object.freeze({ stage, workingDays, dueDate, dueAt: endOfShanghaiDay(dueDate) });
}

/**
 * A step is at risk only on its due day. The case clock's "≤ 1 working day left"
 * would flag every one-day step the moment it opens and drown the real alerts.
 */
export function stageStatus(
  deadline: StageDeadline,
  progress: { completedAt: Instant | null; now: Instant },
): StageStatus {
  if (progress.completedAt !== null) {
    return shanghaiDateOf(progress.completedAt) <= deadline.dueDate ? 'MET' : 'MET_LATE';
  }
  const today = shanghaiDateOf(progress.now);
  if (today > deadline.dueDate) return 'OVERDUE';
  return today === deadline.dueDate ? 'AT_RISK' : 'ON_TRACK';
}
