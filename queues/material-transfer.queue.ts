import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { currentRequestId } from '../lib/logger.js';
import type { TransferChannel } from '../ledger/cases/case.model.js';
import type { OutboxEntry } from '../ledger/cases/case-write.script.js';
import { drainOutbox } from './outbox-drain.js';
import { bullPrefix, DEFAULT_JOB_OPTIONS, openQueue, QUEUES } from './queues.js';

export interface MaterialTransferJob {
  businessNo: string;
  channel: TransferChannel;
  /** The request that queued the transfer: the worker logs under it (jobs/worker-host.ts). */
  requestId?: string;
}

/** The transfers that dispatches committed to, by the time of the dispatch, under a BullMQ prefix next to the queue's own keys. */
export function transferOutboxKey(prefix: string): string {
  return `${prefix}:${QUEUES.materialTransfer}:outbox`;
}

/** The outbox as the stores' connection names it: its key prefix comes first in `bullPrefix`. */
const OUTBOX_FROM_STORES = transferOutboxKey(bullPrefix(''));

const member = (businessNo: string, channel: TransferChannel) => `${businessNo}|${channel}`;

/**
 * One transfer job per case: its id is the business number, so dispatching
 * twice, or queueing a dispatch both at once and from the outbox, queues once.
 */
export class MaterialTransferQueue {
  private readonly queue: Queue<MaterialTransferJob>;
  private readonly outbox: string;

  constructor(
    private readonly connection: Redis,
    prefix: string,
  ) {
    this.queue = openQueue(QUEUES.materialTransfer, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
    this.outbox = transferOutboxKey(prefix);
  }

  intent(businessNo: string, channel: TransferChannel, at: string): OutboxEntry {
    return { key: OUTBOX_FROM_STORES, score: Date.parse(at), member: member(businessNo, channel) };
  }

  async enqueue(businessNo: string, channel: TransferChannel): Promise<void> {
    await this.queue.add('transfer', { businessNo, channel, requestId: currentRequestId() }, { jobId: `transfer-${businessNo}` });
    await this.connection.zrem(this.outbox, member(businessNo, channel));
  }

  /**
   * Queues every transfer the outbox still holds: dispatches whose own attempt
   * to queue failed, or whose process died between the write and the queueing.
   * The entry leaves the outbox only once its job is in the queue.
   */
  drainOutbox(): Promise<number> {
    return drainOutbox(this.connection, this.outbox, (members) =>
      this.queue.addBulk(
        members.map((entry) => {
          const [businessNo, channel] = entry.split('|') as [string, TransferChannel];
          return { name: 'transfer', data: { businessNo, channel }, opts: { jobId: `transfer-${businessNo}` } };
        }),
      ),
    );
  }

  /** Dispatches not yet queued: 0 in steady state. */
  pending(): Promise<number> {
    return this.connection.zcard(this.outbox);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
