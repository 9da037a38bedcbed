import type { Redis } from 'ioredis';

/** Outbox entries queued per round trip. */
const BATCH = 500;

/**
 * Queues every job the outboxes (sorted sets of intents, one per ledger
 * partition, written with the case changes that committed to them) still
 * hold, oldest first. An entry leaves
 * the outbox only once its job is in the queue; the jobs' fixed ids make an
 * entry queued twice (by its own enqueue and by a drain) one job.
 */
export async function drainOutboxes(connection: Redis, outboxes: readonly string[], queue: (members: string[]) => Promise<unknown>): Promise<number> {
  const drained = await Promise.all(outboxes.map((outbox) => drainOutbox(connection, outbox, queue)));
  return drained.reduce((sum, count) => sum + count, 0);
}

async function drainOutbox(connection: Redis, outbox: string, queue: (members: string[]) => Promise<unknown>): Promise<number> {
  let drained = 0;
  for (;;) {
    const members = await connection.zrange(outbox, '0', String(BATCH - 1));
    if (members.length === 0) return drained;
    await queue(members);
    await connection.zrem(outbox, ...members);
    drained += members.length;
  }
}
