import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PlatformEvent } from '../adapters/platform.port.js';
import { currentRequestId } from '../lib/logger.js';
import { DEFAULT_JOB_OPTIONS, openQueue, QUEUES } from './queues.js';

/**
 * Where verified platform pushes wait for the platform-sync worker. The job id
 * is the platform's event id, so a push delivered twice is queued once.
 */
export class PlatformEventQueue {
  private readonly queue: Queue;

  constructor(connection: Redis, prefix: string) {
    this.queue = openQueue(QUEUES.platformSync, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  }

  async enqueue(event: PlatformEvent): Promise<void> {
    // The webhook's request id goes along, so the worker that applies the push logs under it.
    await this.queue.add('platform-event', { ...event, requestId: currentRequestId() }, { jobId: `event-${event.region}-${event.eventId}` });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
