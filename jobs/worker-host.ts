import { randomUUID } from 'node:crypto';
import { DelayedError, UnrecoverableError, Worker, type Job, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { json, type Route } from '../lib/http-server.js';
import { withRequestId, type Logger } from '../lib/logger.js';
import type { JobMetrics } from '../lib/metrics.js';
import type { QueueName } from '../queues/queues.js';

export type Processor = (job: Job) => Promise<unknown>;

export interface WorkerHost {
  workers: Worker[];
  close(): Promise<void>;
}

/** A platform asking for more than this (Retry-After: 86400) gets ordinary backoff instead of holding a transfer for a day. */
const MAX_RETRY_AFTER_MS = 15 * 60_000;
/** Deferrals of one job, so a platform that never stops refusing still ends in the dead-letter set with an ops alert. */
const MAX_DEFERRALS = 50;

/**
 * Runs one BullMQ worker per registered queue. Closing waits for jobs in
 * progress to finish, so a deploy never abandons a transfer half-way. Each job
 * runs under the request id of the request that queued it (`requestId` in its
 * data; else its job id), so its logs join that request's. When a platform
 * said how long to wait (429 Retry-After, or its circuit is open), the job waits
 * exactly that long without spending one of its attempts: backing off on our own
 * schedule would only be refused again and exhaust the attempts meant for outages.
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
    const run = (job: Job, token?: string) =>
      withRequestId(requestIdOf(job), () => measured(queue, processor as Processor, job, token, options.metrics));
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

/**
 * The worker host's liveness, on its metrics listener: healthy while every
 * worker runs and Redis answers, so a supervisor or load balancer can replace a
 * host whose workers stopped taking jobs.
 */
export function workerHealthRoute(host: WorkerHost, redis: Redis, timeoutMs = 1_000): Route {
  return {
    method: 'GET',
    path: '/health',
    handler: async () => {
      const stopped = host.workers.filter((worker) => !worker.isRunning()).map((worker) => worker.name);
      let redisOk = true;
      try {
        await Promise.race([redis.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref())]);
      } catch {
        redisOk = false;
      }
      const ok = stopped.length === 0 && redisOk && host.workers.length > 0;
      return json(ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', workers: host.workers.length, stopped, redis: redisOk ? 'ok' : 'unreachable' });
    },
  };
}

function requestedWait(error: unknown): number | undefined {
  const waitMs = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof waitMs === 'number' && waitMs >= 0 && waitMs <= MAX_RETRY_AFTER_MS ? Math.max(waitMs, 100) : undefined;
}

function requestIdOf(job: Job): string {
  const requestId: unknown = job.data?.requestId;
  return typeof requestId === 'string' && requestId ? requestId : (job.id ?? randomUUID());
}

async function measured(queue: string, processor: Processor, job: Job, token: string | undefined, metrics: JobMetrics | undefined): Promise<unknown> {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  metrics?.taken(queue);
  try {
    const result = await processor(job);
    metrics?.completed(queue, elapsed());
    return result;
  } catch (error) {
    const waitMs = requestedWait(error);
    // attemptsStarted counts every activation, attemptsMade only the failed ones: the difference is the deferrals (and this run).
    if (waitMs !== undefined && token && job.attemptsStarted - job.attemptsMade <= MAX_DEFERRALS) {
      await job.moveToDelayed(Date.now() + waitMs, token);
      metrics?.deferred(queue);
      throw new DelayedError();
    }
    // attemptsMade counts the attempts before this one.
    const final = error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    metrics?.failed(queue, elapsed(), final);
    throw error;
  }
}
