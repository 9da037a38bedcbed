import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { onReplica } from './queues.js';

/** A job as an outbox entry names it; its fixed id makes it one job however often it is queued. */
export interface OutboxJob<T> {
  name: string;
  data: T;
  opts: { jobId: string };
}

/** Outbox entries queued per round trip. */
const BATCH = 500;

/**
 * Queues every job the outboxes (sorted sets of intents, one per ledger
 * partition, written with the case changes that committed to them) still
 * hold, oldest first. An entry leaves
 * the outbox only once its job is in the queue, on a replica too; the jobs' fixed ids make an
 * entry queued twice (by its own enqueue and by a drain) one job.
 */
export async function drainOutboxes<T>(connection: Redis, outboxes: readonly string[], queue: Queue<T>, toJob: (member: string) => OutboxJob<T>): Promise<number> {
  const drained = await Promise.all(outboxes.map((outbox) => drainOutbox(connection, outbox, queue, toJob)));
  return drained.reduce((sum, count) => sum + count, 0);
}

async function drainOutbox<T>(connection: Redis, outbox: string, queue: Queue<T>, toJob: (member: string) => OutboxJob<T>): Promise<number> {
  let drained = 0;
  for (;;) {
    const members = await connection.zrange(outbox, '0', String(BATCH - 1));
    if (members.length === 0) return drained;
    await queue.addBulk(members.map(toJob) as Parameters<Queue<T>['addBulk']>[0]);
    await onReplica(connection, queue);
    await connection.zrem(outbox, ...members);
    drained += members.length;
  }
}
