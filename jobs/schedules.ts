import type { Redis } from 'ioredis';
import { openQueue, QUEUES } from '../queues/queues.js';

/**
 * Recurring jobs. A scheduler id names each, so every worker process may
 * register them at start and there is still one schedule, not one per process.
 */
export async function scheduleRecurringJobs(
  connection: Redis,
  prefix: string,
  options: { platformPollMs: number; courierPollMs: number; alertSweepMs: number; uploadSweepMs: number; caseArchiveMs: number },
): Promise<void> {
  const schedules = [
    { queue: QUEUES.platformPoll, id: 'platform-poll', name: 'poll', every: options.platformPollMs },
    { queue: QUEUES.courierPoll, id: 'courier-poll', name: 'poll', every: options.courierPollMs },
    { queue: QUEUES.alertSweep, id: 'alert-sweep', name: 'sweep', every: options.alertSweepMs },
    { queue: QUEUES.uploadSweep, id: 'upload-sweep', name: 'sweep', every: options.uploadSweepMs },
    { queue: QUEUES.caseArchive, id: 'case-archive', name: 'archive', every: options.caseArchiveMs },
  ];
  for (const { queue, id, name, every } of schedules) {
    const poll = openQueue(queue, { connection, prefix });
    try {
      await poll.upsertJobScheduler(id, { every }, { name, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 1000 } } });
    } finally {
      await poll.close();
    }
  }
}
