import { Worker, type Job, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import type { QueueName } from './queues.js';

export type Processor = (job: Job) => Promise<unknown>;

export interface WorkerHost {
  workers: Worker[];
  close(): Promise<void>;
}

/**
 * Runs one BullMQ worker per registered queue. Closing waits for jobs in
 * progress to finish, so a deploy never abandons a transfer half-way.
 */
export function startWorkers(options: {
  connection: Redis;
  prefix: string;
  processors: Partial<Record<QueueName, Processor>>;
  logger: Logger;
  concurrency?: number;
  workerOptions?: Partial<WorkerOptions>;
}): WorkerHost {
  const workers = Object.entries(options.processors).map(([queue, processor]) => {
    const worker = new Worker(queue, processor as Processor, {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 8,
      ...options.workerOptions,
    });
    worker.on('failed', (job, error) =>
      options.logger.warn({ queue, jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'job failed'),
    );
    worker.on('error', (error) => options.logger.error({ queue, err: error }, 'worker error'));
    return worker;
  });
  return {
    workers,
    close: async () => {
      await Promise.all(workers.map((worker) => worker.close()));
    },
  };
}
