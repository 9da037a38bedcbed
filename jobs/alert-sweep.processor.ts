import type { DeadlineAlertQueue } from '../queues/deadline-alerts.queue.js';
import type { MaterialTransferQueue } from '../queues/material-transfer.queue.js';
import type { NotificationQueue } from '../queues/notifications.queue.js';

/**
 * The recurring sweep: every alert of the timetable whose time has come
 * becomes a deadline-alerts job, and every dispatch or message still in its
 * outbox becomes its job. An alert is late by at most the sweep's interval
 * (ALERT_SWEEP_MS), against deadlines counted in working days; a transfer or
 * message whose immediate queueing failed waits as long.
 */
export function alertSweepProcessor(deps: {
  timetable: Pick<DeadlineAlertQueue, 'promoteDue'>;
  transfers: Pick<MaterialTransferQueue, 'drainOutbox'>;
  notifications: Pick<NotificationQueue, 'drainOutbox'>;
}) {
  return async (): Promise<{ promoted: number; transfersQueued: number; notificationsQueued: number }> => ({
    promoted: await deps.timetable.promoteDue(),
    transfersQueued: await deps.transfers.drainOutbox(),
    notificationsQueued: await deps.notifications.drainOutbox(),
  });
}
