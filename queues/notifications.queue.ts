import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { OutboxEntry } from '../ledger/cases/case-write.script.js';
import type { NotificationJob } from '../ledger/workflow/ports.js';
import { drainOutbox } from './outbox-drain.js';
import { bullPrefix, DEFAULT_JOB_OPTIONS, openQueue, QUEUES } from './queues.js';

/** Messages that case changes committed to, under a BullMQ prefix next to the queue's own keys. */
export function notificationOutboxKey(prefix: string): string {
  return `${prefix}:${QUEUES.notifications}:outbox`;
}

/** The outbox as the stores' connection names it: its key prefix comes first in `bullPrefix`. */
const OUTBOX_FROM_STORES = notificationOutboxKey(bullPrefix(''));

/** Messages wait here for the notification gateway; the idempotency key is the job id, so one message is queued once. */
export class NotificationQueue {
  private readonly queue: Queue<NotificationJob>;
  private readonly outbox: string;

  constructor(
    private readonly connection: Redis,
    prefix: string,
  ) {
    this.queue = openQueue(QUEUES.notifications, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
    this.outbox = notificationOutboxKey(prefix);
  }

  /** The message as an outbox entry, to be written with the case change that decides to send it. */
  intent(message: NotificationJob, at: string): OutboxEntry {
    return { key: OUTBOX_FROM_STORES, score: Date.parse(at), member: JSON.stringify(message) };
  }

  async enqueue(message: NotificationJob): Promise<void> {
    await this.queue.add(message.template, message, { jobId: message.idempotencyKey });
    await this.connection.zrem(this.outbox, JSON.stringify(message));
  }

  /** Queues every message the outbox still holds: changes whose own attempt to queue failed, or whose process died first. */
  drainOutbox(): Promise<number> {
    return drainOutbox(this.connection, this.outbox, (members) =>
      this.queue.addBulk(
        members.map((entry) => {
          const message = JSON.parse(entry) as NotificationJob;
          return { name: message.template, data: message, opts: { jobId: message.idempotencyKey } };
        }),
      ),
    );
  }

  /** Messages committed to and not yet queued: 0 in steady state. */
  pending(): Promise<number> {
    return this.connection.zcard(this.outbox);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
