import type { QueueName } from './queues.js';
import type { Processor } from './worker-host.js';

/**
 * The processor of each queue. The workflow's processors (material transfer,
 * platform sync, deadline alerts, notifications) register here as they land;
 * a queue without one is not consumed.
 */
export const PROCESSORS: Partial<Record<QueueName, Processor>> = {};
