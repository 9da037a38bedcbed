import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES } from './queues.js';

/**
 * Recurring jobs. A scheduler id names each, so every worker process may
 * register them at start and there is still one schedule, not one per process.
 */
export async function scheduleRecurringJobs(connection: Redis, prefix: string, options: { platformPollMs: number }): Promise<void> {
  const poll = new Queue(QUEUES.platformPoll, { connection, prefix });
  try {
    await poll.upsertJobScheduler(
      'platform-poll',
      { every: options.platformPollMs },
      { name: 'poll', opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 1000 } } },
    );
  } finally {
    await poll.close();
  }
}
