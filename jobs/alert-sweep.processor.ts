import type { DeadlineAlertQueue } from './deadline-alerts.queue.js';

/**
 * The recurring sweep of the alert timetable: every alert whose time has come
 * becomes a deadline-alerts job. An alert is late by at most the sweep's
 * interval (ALERT_SWEEP_MS), against deadlines counted in working days.
 */
export function alertSweepProcessor(deps: { timetable: Pick<DeadlineAlertQueue, 'promoteDue'> }) {
  return async (): Promise<{ promoted: number }> => ({ promoted: await deps.timetable.promoteDue() });
}
