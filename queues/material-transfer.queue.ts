import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { currentRequestId } from '../lib/logger.js';
import type { TransferChannel } from '../ledger/cases/case.model.js';
import type { OutboxEntry } from '../ledger/cases/case-write.script.js';
import { PARTITION_TAGS, partitionOfCase } from '../ledger/cases/case-partitions.js';
import { drainOutboxes } from './outbox-drain.js';
import { bullPrefix, DEFAULT_JOB_OPTIONS, onReplica, openQueue, QUEUES } from './queues.js';

export interface MaterialTransferJob {
  businessNo: string;
  channel: TransferChannel;
  /** The request that queued the transfer: the worker logs under it (jobs/worker-host.ts). */
  requestId?: string;
}

/**
 * One partition's transfers that dispatches committed to, by the time of the
 * dispatch, under a BullMQ prefix, in the partition's slot, since the case
 * store's write script adds to it (ledger/cases/case-partitions.ts).
 */
export function transferOutboxKey(prefix: string, tag: string): string {
  return `${prefix}:${tag}:outbox:${QUEUES.materialTransfer}`;
}

/** The outbox of a case's partition as the stores' connection names it: its key prefix comes first in `bullPrefix`. */
const outboxFromStores = (businessNo: string) => transferOutboxKey(bullPrefix(''), partitionOfCase(businessNo));

const member = (businessNo: string, channel: TransferChannel) => `${businessNo}|${channel}`;

/**
 * One transfer job per case: its id is the business number, so dispatching
 * twice, or queueing a dispatch both at once and from the outbox, queues once.
 */
export class MaterialTransferQueue {
  private readonly queue: Queue<MaterialTransferJob>;
  private readonly outboxes: readonly string[];
  private readonly outboxOf: (businessNo: string) => string;

  constructor(
    private readonly connection: Redis,
    prefix: string,
  ) {
    this.queue = openQueue(QUEUES.materialTransfer, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
    this.outboxes = PARTITION_TAGS.map((tag) => transferOutboxKey(prefix, tag));
    this.outboxOf = (businessNo) => transferOutboxKey(prefix, partitionOfCase(businessNo));
  }

  intent(businessNo: string, channel: TransferChannel, at: string): OutboxEntry {
    return { key: outboxFromStores(businessNo), score: Date.parse(at), member: member(businessNo, channel) };
  }

  async enqueue(businessNo: string, channel: TransferChannel): Promise<void> {
    await this.queue.add('transfer', { businessNo, channel, requestId: currentRequestId() }, { jobId: `transfer-${businessNo}` });
    await onReplica(this.connection, this.queue);
    await this.connection.zrem(this.outboxOf(businessNo), member(businessNo, channel));
  }

  /**
   * Queues every transfer the outbox still holds: dispatches whose own attempt
   * to queue failed, or whose process died between the write and the queueing.
   * The entry leaves the outbox only once its job is in the queue.
   */
  drainOutbox(): Promise<number> {
    return drainOutboxes(this.connection, this.outboxes, this.queue, (entry) => {
      const [businessNo, channel] = entry.split('|') as [string, TransferChannel];
      return { name: 'transfer', data: { businessNo, channel }, opts: { jobId: `transfer-${businessNo}` } };
    });
  }

  /** Dispatches not yet queued: 0 in steady state. */
  async pending(): Promise<number> {
    const counts = await Promise.all(this.outboxes.map((outbox) => this.connection.zcard(outbox)));
    return counts.reduce((sum, count) => sum + count, 0);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
