import { randomUUID } from 'node:crypto';
import { UnrecoverableError, Worker, type Job, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { withRequestId, type Logger } from '../lib/logger.js';
import type { JobMetrics } from '../lib/metrics.js';
import type { QueueName } from './queues.js';

export type Processor = (job: Job) => Promise<unknown>;

export interface WorkerHost {
  workers: Worker[];
  close(): Promise<void>;
}

/**
 * Runs one BullMQ worker per registered queue. Closing waits for jobs in
 * progress to finish, so a deploy never abandons a transfer half-way. Each job
 * runs under the request id of the request that queued it (`requestId` in its
 * data; else its job id), so its logs join that request's.
 */
export function startWorkers(options: {
  connection: Redis;
  prefix: string;
  processors: Partial<Record<QueueName, Processor>>;
  logger: Logger;
  concurrency?: number;
  workerOptions?: Partial<WorkerOptions>;
  /** Job durations and failures; in-process hosts (tests) may go without. */
  metrics?: JobMetrics;
}): WorkerHost {
  const workers = Object.entries(options.processors).map(([queue, processor]) => {
    const run = (job: Job) => withRequestId(requestIdOf(job), () => measured(queue, processor as Processor, job, options.metrics));
    const worker = new Worker(queue, run, {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 8,
      ...options.workerOptions,
    });
    worker.on('failed', (job, error) =>
      options.logger.warn({ queue, jobId: job?.id, requestId: job && requestIdOf(job), attempts: job?.attemptsMade, err: error }, 'job failed'),
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

function requestIdOf(job: Job): string {
  const requestId: unknown = job.data?.requestId;
  return typeof requestId === 'string' && requestId ? requestId : (job.id ?? randomUUID());
}

async function measured(queue: string, processor: Processor, job: Job, metrics: JobMetrics | undefined): Promise<unknown> {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  try {
    const result = await processor(job);
    metrics?.completed(queue, elapsed());
    return result;
  } catch (error) {
    // attemptsMade counts the attempts before this one.
    const final = error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    metrics?.failed(queue, elapsed(), final);
    throw error;
  }
}
