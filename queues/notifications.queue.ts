import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { OutboxEntry } from '../ledger/cases/case-write.script.js';
import type { NotificationJob } from '../ledger/workflow/ports.js';
import { PARTITION_TAGS, partitionOfCase } from '../ledger/cases/case-partitions.js';
import { drainOutboxes } from './outbox-drain.js';
import { bullPrefix, DEFAULT_JOB_OPTIONS, onReplica, openQueue, QUEUES } from './queues.js';

/** One partition's messages that case changes committed to, under a BullMQ prefix, in the partition's slot (see material-transfer.queue.ts). */
export function notificationOutboxKey(prefix: string, tag: string): string {
  return `${prefix}:${tag}:outbox:${QUEUES.notifications}`;
}

/** Messages wait here for the notification gateway; the idempotency key is the job id, so one message is queued once. */
export class NotificationQueue {
  private readonly queue: Queue<NotificationJob>;
  private readonly outboxes: readonly string[];

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {
    this.queue = openQueue(QUEUES.notifications, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
    this.outboxes = PARTITION_TAGS.map((tag) => notificationOutboxKey(prefix, tag));
  }

  /** The message as an outbox entry, to be written with the change of `businessNo` that decides to send it (so in its partition). */
  intent(message: NotificationJob, at: string, businessNo: string): OutboxEntry {
    return { key: notificationOutboxKey(bullPrefix(''), partitionOfCase(businessNo)), score: Date.parse(at), member: JSON.stringify(message) };
  }

  /** `from`: the case whose change put the message in its outbox, which it then leaves; none for a message sent outside a case change. */
  async enqueue(message: NotificationJob, from?: string): Promise<void> {
    await this.queue.add(message.template, message, { jobId: message.idempotencyKey });
    if (from === undefined) return;
    await onReplica(this.connection, this.queue);
    await this.connection.zrem(notificationOutboxKey(this.prefix, partitionOfCase(from)), JSON.stringify(message));
  }

  /** Queues every message the outbox still holds: changes whose own attempt to queue failed, or whose process died first. */
  drainOutbox(): Promise<number> {
    return drainOutboxes(this.connection, this.outboxes, this.queue, (entry) => {
      const message = JSON.parse(entry) as NotificationJob;
      return { name: message.template, data: message, opts: { jobId: message.idempotencyKey } };
    });
  }

  /** Messages committed to and not yet queued: 0 in steady state. */
  async pending(): Promise<number> {
    const counts = await Promise.all(this.outboxes.map((outbox) => this.connection.zcard(outbox)));
    return counts.reduce((sum, count) => sum + count, 0);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
