import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DomainError, InputError, NotFoundError } from '../domain/errors.js';
import { PARTITION_TAGS } from '../ledger/cases/case-partitions.js';
import { pausedClocksKey, runningClocksKey } from '../ledger/cases/case.store.js';
import { scheduledAlertCount } from './deadline-alerts.queue.js';
import { bullPrefix, openQueue, type QueueName, QUEUES } from './queues.js';

export const QUEUE_NAMES: readonly QueueName[] = Object.values(QUEUES);

/** The states ops watch; BullMQ's other states (prioritized, waiting-children) are unused by tongban. */
export const JOB_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface QueueCounts {
  queue: QueueName;
  counts: Record<JobState, number>;
  /** A paused queue keeps its jobs waiting; BullMQ has no separate paused state for them. */
  paused: boolean;
}

export interface QueueJobSummary {
  queue: QueueName;
  id: string;
  name: string;
  state: string;
  failedReason: string | null;
  attemptsMade: number;
  /** When the job was added (epoch ms). */
  timestamp: number;
  /** When it last completed or failed for good (epoch ms). */
  finishedOn: number | null;
}

export const MAX_REPLAY = 1000;

export class QueueNotFoundError extends NotFoundError {
  constructor(name: string) {
    super('QUEUE.NOT_FOUND', `队列 ${name} 不存在（现有：${QUEUE_NAMES.join(', ')}）`);
  }
}

export class JobNotFoundError extends NotFoundError {
  constructor(queue: string, jobId: string) {
    super('JOB.NOT_FOUND', `队列 ${queue} 中没有任务 ${jobId}`);
  }
}

export class JobNotFailedError extends DomainError {
  constructor(jobId: string, state: string) {
    super('JOB.NOT_FAILED', `任务 ${jobId} 的状态是 ${state}，只有失败的任务可以重试`);
  }
}

/**
 * What ops do to the queues by hand: read their depth and dead letters, and put
 * failed jobs back. A retried job gets a fresh set of attempts, because ops retry
 * after fixing the cause, and the remaining backoff should work for it again.
 */
export class QueueAdmin {
  private readonly queues: Map<QueueName, Queue>;

  /**
   * Over the stores' connection (`lib/redis.ts` createRedis): BullMQ refuses
   * ioredis' key prefix, so the admin opens a connection of its own without it
   * and works under the same namespace, as the workers do (`bullPrefix`).
   */
  static over(redis: Redis): QueueAdmin {
    return new QueueAdmin(redis.duplicate({ keyPrefix: '' }), bullPrefix(redis.options.keyPrefix ?? ''));
  }

  private constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {
    this.queues = new Map(QUEUE_NAMES.map((name) => [name, openQueue(name, { connection, prefix })]));
  }

  /** For the dashboard, which drives the queues itself. */
  all(): Queue[] {
    return [...this.queues.values()];
  }

  /** A queue by its name, with or without the hash-tag braces (`material-transfer` or `{material-transfer}`). */
  queue(name: string): Queue {
    const queue = this.queues.get(name as QueueName) ?? this.queues.get(`{${name}}` as QueueName);
    if (!queue) throw new QueueNotFoundError(name);
    return queue;
  }

  async counts(): Promise<QueueCounts[]> {
    return Promise.all(
      [...this.queues].map(async ([queue, q]) => {
        const [raw, paused] = await Promise.all([q.getJobCounts(...JOB_STATES), q.isPaused()]);
        const counts = Object.fromEntries(JOB_STATES.map((state) => [state, raw[state] ?? 0])) as Record<JobState, number>;
        return { queue, counts, paused };
      }),
    );
  }

  /** Workers connected to each queue now (BullMQ names its worker connections; Redis's CLIENT LIST tells). */
  async workers(): Promise<{ queue: string; workers: number }[]> {
    return Promise.all([...this.queues].map(async ([queue, q]) => ({ queue, workers: await q.getWorkersCount() })));
  }

  /** Deadline alerts waiting for their time (queues/deadline-alerts.queue.ts): they become jobs only when it comes. */
  scheduledAlerts(): Promise<number> {
    return scheduledAlertCount(this.connection, this.prefix);
  }

  /** The newest dead letters first. */
  async latestFailed(queueName: string, first: number): Promise<QueueJobSummary[]> {
    const queue = this.queue(queueName);
    if (first < 1) return [];
    const jobs = await queue.getFailed(0, Math.min(first, 100) - 1);
    return jobs.map((job) => summary(queue.name as QueueName, job, 'failed'));
  }

  async retry(queueName: string, jobId: string): Promise<QueueJobSummary> {
    const queue = this.queue(queueName);
    const job = await queue.getJob(jobId);
    if (!job) throw new JobNotFoundError(queue.name, jobId);
    const state = await job.getState();
    if (state !== 'failed') throw new JobNotFailedError(jobId, state);
    try {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    } catch (error) {
      // Another operator (or the dashboard) retried it between the check and the move.
      const now = await job.getState();
      if (now !== 'failed') throw new JobNotFailedError(jobId, now);
      throw error;
    }
    return summary(queue.name as QueueName, job, await job.getState());
  }

  /** Retries up to `limit` failed jobs, newest first; returns how many went back to the queue. */
  async replayFailed(queueName: string, limit: number): Promise<number> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_REPLAY) {
      throw new InputError('INPUT.INVALID_LIMIT', `limit 应为 1 至 ${MAX_REPLAY} 的整数`);
    }
    const queue = this.queue(queueName);
    const jobs = await queue.getFailed(0, limit - 1);
    let replayed = 0;
    for (const job of jobs) {
      try {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        replayed += 1;
      } catch {
        // Retried or removed by someone else meanwhile: not ours to count.
      }
    }
    return replayed;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.connection.disconnect();
  }
}

/**
 * Cases past their promised deadline, as `cases(filter: { clockStatus: OVERDUE })`
 * counts them, from the case store's clock indexes so that a scrape costs two
 * ZCOUNTs per partition instead of loading cases: running clocks are scored by
 * due time, paused ones by working days left (negative: overdue). `redis`
 * carries the key prefix.
 */
export async function overdueCases(redis: Redis, now: Date): Promise<{ running: number; paused: number }> {
  const [running, paused] = await Promise.all([
    Promise.all(PARTITION_TAGS.map((tag) => redis.zcount(runningClocksKey(tag), '-inf', `(${now.getTime()}`))),
    Promise.all(PARTITION_TAGS.map((tag) => redis.zcount(pausedClocksKey(tag), '-inf', '(0'))),
  ]);
  return { running: sum(running), paused: sum(paused) };
}

const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0);

function summary(queue: QueueName, job: Job, state: string): QueueJobSummary {
  return {
    queue,
    id: job.id ?? '',
    name: job.name,
    state,
    failedReason: job.failedReason || null,
    attemptsMade: job.attemptsMade,
    timestamp: job.timestamp,
    finishedOn: job.finishedOn ?? null,
  };
}
