import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { currentRequestId } from '../lib/logger.js';
import type { TransferChannel } from '../subgraphs/cases/case.model.js';
import { DEFAULT_JOB_OPTIONS, openQueue, QUEUES } from './queues.js';

export interface MaterialTransferJob {
  businessNo: string;
  channel: TransferChannel;
  /** The request that queued the transfer: the worker logs under it (jobs/worker-host.ts). */
  requestId?: string;
}

/** One transfer job per case: its id is the business number, so dispatching twice queues once. */
export class MaterialTransferQueue {
  private readonly queue: Queue<MaterialTransferJob>;

  constructor(connection: Redis, prefix: string) {
    this.queue = openQueue(QUEUES.materialTransfer, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  }

  async enqueue(businessNo: string, channel: TransferChannel): Promise<void> {
    await this.queue.add('transfer', { businessNo, channel, requestId: currentRequestId() }, { jobId: `transfer-${businessNo}` });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
