import { shanghaiDateOf, CalendarYearNotPublishedError, type WorkingCalendar } from '../../domain/calendar/index.js';
import { evaluateClock } from '../../domain/clock/index.js';
import type { CaseRecord } from '../cases/case.model.js';
import { onlineTransferDoneAt } from '../workflow/scans.stage.js';

export const ALERT_KINDS = ['PROMISED_LIMIT', 'PAPER_MAIL', 'ONLINE_TRANSFER', 'APPLICANT_PICKUP_NOTICE', 'CORRECTION'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export type AlertLevel = 'AT_RISK' | 'OVERDUE';

export interface AlertPlan {
  /** Deterministic, so a plan computed twice — or by two workers — names the same job and the same alert. */
  id: string;
  businessNo: string;
  kind: AlertKind;
  level: AlertLevel;
  dueAt: string;
  fireAt: string;
}

const startOfDay = (date: string) => `${date}T00:00:00+08:00`;

const alertId = (businessNo: string, kind: AlertKind, level: AlertLevel, dueAt: string) => `alert-${businessNo}-${kind}-${level}-${Date.parse(dueAt)}`;
const ALERT_ID = new RegExp(`^alert-(.+)-(${ALERT_KINDS.join('|')})-(AT_RISK|OVERDUE)-(\\d+)$`);

/** What a plan id says of its plan: the id alone is what the alert timetable keeps. */
export function parseAlertId(id: string): { businessNo: string; kind: AlertKind; level: AlertLevel; dueAt: number } | null {
  const match = ALERT_ID.exec(id);
  if (!match) return null;
  return { businessNo: match[1]!, kind: match[2] as AlertKind, level: match[3] as AlertLevel, dueAt: Number(match[4]) };
}

/**
 * The alerts a case should have scheduled as it stands: for every deadline still
 * running, one when it becomes at risk and one when it is overdue. A paused clock
 * has none while it has days left (its due day is unknown until the materials
 * arrive); a met deadline has none. Comparing the plans before and after a change says what to cancel
 * and what to schedule.
 */
export function plannedAlerts(record: CaseRecord | null, calendar: WorkingCalendar): AlertPlan[] {
  if (!record) return [];
  const plans: AlertPlan[] = [];
  const add = (kind: AlertKind, dueAt: string, atRiskDay: string) => {
    const overdueAt = new Date(Date.parse(dueAt) + 1000).toISOString();
    for (const [level, fireAt] of [['AT_RISK', startOfDay(atRiskDay)], ['OVERDUE', overdueAt]] as const) {
      plans.push({ id: alertId(record.businessNo, kind, level, dueAt), businessNo: record.businessNo, kind, level, dueAt, fireAt });
    }
  };
  // A step of one or two working days is at risk on its due day only (stageStatus's rule).
  const stage = (kind: AlertKind, dueAt: string | null | undefined, done: unknown) => {
    if (dueAt && !done) add(kind, dueAt, shanghaiDateOf(dueAt));
  };

  if (record.stage === 'DEFICIENT') stage('CORRECTION', record.correction?.dueAt, null);
  stage('ONLINE_TRANSFER', record.transfer?.onlineDueAt, onlineTransferDoneAt(record));
  stage('PAPER_MAIL', record.transfer?.paperDueAt, record.transfer?.paperSentAt);
  if (record.stage === 'AWAITING_PICKUP') stage('APPLICANT_PICKUP_NOTICE', record.result?.pickupNoticeDueAt, record.result?.applicantNotifiedAt);

  // A paused clock has a due day only once its limit is used up: then it is overdue past that day all the same.
  if (record.clock.phase === 'RUNNING' || record.clock.phase === 'PAUSED') {
    const last = record.clock.events.at(-1)!.at;
    try {
      const clock = evaluateClock(record.clock, record.item.promisedLimitDays, last, calendar);
      if (clock.dueAt) {
        // ≤ 1 working day left from the working day before the due day on.
        const lastDay = shanghaiDateOf(last);
        const atRisk = clock.remainingWorkingDays <= 1 ? lastDay : calendar.addWorkingDays(lastDay, clock.remainingWorkingDays - 1);
        add('PROMISED_LIMIT', clock.dueAt, atRisk);
      }
    } catch (error) {
      // A due day in a year without a published calendar cannot be scheduled yet; the reconciler retries.
      if (!(error instanceof CalendarYearNotPublishedError)) throw error;
    }
  }
  return plans;
}

/** What one change of a case does to its alerts on the timetable. */
export interface AlertChanges {
  schedule: AlertPlan[];
  cancel: string[];
}

/**
 * The plans a change ends (deadline met, clock paused) and the ones it starts
 * (clock resumed with a new due day). A plan the previous state already had
 * and whose time has passed is left alone: the sweep has taken it, or will, and
 * scheduling it again would only run its job again.
 */
export function alertChanges(previous: CaseRecord | null, next: CaseRecord, calendar: WorkingCalendar, now: number): AlertChanges {
  const before = new Set(plannedAlerts(previous, calendar).map((plan) => plan.id));
  const after = plannedAlerts(next, calendar);
  const kept = new Set(after.map((plan) => plan.id));
  return {
    schedule: after.filter((plan) => !before.has(plan.id) || Date.parse(plan.fireAt) > now),
    cancel: [...before].filter((id) => !kept.has(id)),
  };
}
