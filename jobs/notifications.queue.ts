import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { OutboundMessage } from '../adapters/notify/notify.port.js';
import type { OutboxEntry } from '../subgraphs/cases/case.store.js';
import { drainOutbox } from './outbox-drain.js';
import { bullPrefix, DEFAULT_JOB_OPTIONS, openQueue, QUEUES } from './queues.js';

/**
 * Whom a queued message goes to. Job data is read by ops in the queue dashboard
 * and kept with failed jobs, so it holds references, never a person's data: a
 * message for the case's contact names the case, and the processor reads the
 * phone from the ledger when it sends. A window's e-mail is an office's address
 * and is kept as it is.
 */
export type Recipient = { kind: 'ADDRESS'; address: string } | { kind: 'CASE_CONTACT'; businessNo: string };

export type NotificationJob = Omit<OutboundMessage, 'to'> & {
  recipient: Recipient;
  /**
   * The case deadline this message meets once the gateway has accepted it: the
   * processor records the acceptance on the case (APPLICANT_PICKUP_NOTICE).
   */
  meets?: 'APPLICANT_PICKUP_NOTICE';
};

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
