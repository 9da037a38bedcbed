import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { OutboundMessage } from '../adapters/notify/notify.port.js';
import { DEFAULT_JOB_OPTIONS, openQueue, QUEUES } from './queues.js';

/**
 * Whom a queued message goes to. Job data is read by ops in the queue dashboard
 * and kept with failed jobs, so it holds references, never a person's data: a
 * message for the case's contact names the case, and the processor reads the
 * phone from the ledger when it sends. A window's e-mail is an office's address
 * and is kept as it is.
 */
export type Recipient = { kind: 'ADDRESS'; address: string } | { kind: 'CASE_CONTACT'; businessNo: string };

export type NotificationJob = Omit<OutboundMessage, 'to'> & { recipient: Recipient };

/** Messages wait here for the notification gateway; the idempotency key is the job id, so one message is queued once. */
export class NotificationQueue {
  private readonly queue: Queue<NotificationJob>;

  constructor(connection: Redis, prefix: string) {
    this.queue = openQueue(QUEUES.notifications, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  }

  async enqueue(message: NotificationJob): Promise<void> {
    await this.queue.add(message.template, message, { jobId: message.idempotencyKey });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
