import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { OutboundMessage } from '../adapters/notify/notify.port.js';
import { DEFAULT_JOB_OPTIONS, openQueue, QUEUES } from './queues.js';

/** Messages wait here for the notification gateway; the idempotency key is the job id, so one message is queued once. */
export class NotificationQueue {
  private readonly queue: Queue<OutboundMessage>;

  constructor(connection: Redis, prefix: string) {
    this.queue = openQueue(QUEUES.notifications, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  }

  async enqueue(message: OutboundMessage): Promise<void> {
    await this.queue.add(message.template, message, { jobId: message.idempotencyKey });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
