import type { Redis } from 'ioredis';
import type { WorkingCalendar } from '../domain/calendar/index.js';
import { CourierEventQueue } from './courier-events.queue.js';
import { DeadlineAlertQueue } from './deadline-alerts.queue.js';
import { MaterialTransferQueue } from './material-transfer.queue.js';
import { NotificationQueue } from './notifications.queue.js';
import { PlatformEventQueue } from './platform-events.queue.js';
import { bullPrefix } from './queues.js';

/** The producers' side of every queue, as the subgraphs and workers enqueue into them. */
export interface JobQueues {
  transfers: MaterialTransferQueue;
  platformEvents: PlatformEventQueue;
  alerts: DeadlineAlertQueue;
  notifications: NotificationQueue;
  courierEvents: CourierEventQueue;
  close(): Promise<void>;
}

export function createJobQueues(connection: Redis, keyPrefix: string, calendar: WorkingCalendar, now?: () => Date): JobQueues {
  const prefix = bullPrefix(keyPrefix);
  const queues = {
    transfers: new MaterialTransferQueue(connection, prefix),
    platformEvents: new PlatformEventQueue(connection, prefix),
    alerts: new DeadlineAlertQueue(connection, prefix, calendar, now),
    notifications: new NotificationQueue(connection, prefix),
    courierEvents: new CourierEventQueue(connection, prefix),
  };
  return {
    ...queues,
    close: async () => {
      await Promise.all(Object.values(queues).map((queue) => queue.close()));
    },
  };
}
