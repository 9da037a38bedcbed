import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TrackingPush, WaybillEvent } from '../adapters/courier/courier.port.js';
import { currentRequestId } from '../lib/logger.js';
import { DEFAULT_JOB_OPTIONS, openQueue } from './queues.js';

/** The same name as `QUEUES.courierSync`. */
export const COURIER_SYNC_QUEUE = '{courier-sync}';

export interface CourierSyncJob {
  waybillNo: string;
  businessNo: string;
  /** One event for a push; for polling, every event it found missing, by seq. */
  events: WaybillEvent[];
  /** The request that queued the job: the worker logs under it (jobs/worker-host.ts). */
  requestId?: string;
}

/**
 * Where tracking events wait for the courier-sync worker, pushed or polled alike,
 * so both take one apply path with one set of effects. A push's job id is its
 * pushId, so a push delivered twice is queued once; a poll's names the waybill
 * and the newest seq found, so polls that find the same events queue them once.
 */
export class CourierEventQueue {
  private readonly queue: Queue<CourierSyncJob>;

  constructor(connection: Redis, prefix: string) {
    this.queue = openQueue(COURIER_SYNC_QUEUE, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  }

  async enqueue(push: TrackingPush): Promise<void> {
    const { pushId, waybillNo, businessNo, ...event } = push;
    await this.queue.add('push', { waybillNo, businessNo, events: [event], requestId: currentRequestId() }, { jobId: `push-${pushId}` });
  }

  async enqueueTracked(waybillNo: string, businessNo: string, events: WaybillEvent[]): Promise<void> {
    const newest = Math.max(...events.map((event) => event.seq));
    await this.queue.add('track', { waybillNo, businessNo, events, requestId: currentRequestId() }, { jobId: `track-${waybillNo}-${newest}` });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
