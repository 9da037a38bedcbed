import type { PlatformPort } from '../adapters/platform.port.js';
import type { Region } from '../domain/region.js';
import type { CaseWorkflow, TransferQueue } from '../subgraphs/cases/case-workflow.service.js';
import type { CaseStore } from '../subgraphs/cases/case.store.js';
import { materialTransferProcessor } from './material-transfer.processor.js';
import { platformPollProcessor } from './platform-poll.processor.js';
import { platformSyncProcessor } from './platform-sync.processor.js';
import { QUEUES, type QueueName } from './queues.js';
import type { Processor } from './worker-host.js';

export interface ProcessorDeps {
  workflow: CaseWorkflow;
  store: CaseStore;
  platforms: Record<Region, PlatformPort>;
  transfers: TransferQueue;
}

/** The processor of each queue; a queue without one is not consumed by this process. */
export function createProcessors(deps: ProcessorDeps): Partial<Record<QueueName, Processor>> {
  return {
    [QUEUES.materialTransfer]: materialTransferProcessor(deps) as Processor,
    [QUEUES.platformSync]: platformSyncProcessor(deps) as Processor,
    [QUEUES.platformPoll]: platformPollProcessor(deps) as Processor,
  };
}
