import { Queue, type DefaultJobOptions, type QueueOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { replicated } from '../lib/redis.js';

/**
 * Every queue of tongban. The names carry a hash tag so that each queue's keys
 * land in one slot when Redis Cluster is the path past one machine.
 */
export const QUEUES = {
  materialTransfer: '{material-transfer}',
  platformSync: '{platform-sync}',
  platformPoll: '{platform-poll}',
  deadlineAlerts: '{deadline-alerts}',
  alertSweep: '{alert-sweep}',
  notifications: '{notifications}',
  courierSync: '{courier-sync}',
  courierPoll: '{courier-poll}',
  uploadSweep: '{upload-sweep}',
  caseArchive: '{case-archive}',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** 5xx, timeouts and 429 are retried with exponential backoff; what cannot succeed fails at once (UnrecoverableError). */
export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 8,
  // Jitter spreads jobs that failed together, so they do not all meet a half-open circuit at once.
  backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: false,
};

export function bullPrefix(keyPrefix: string): string {
  return `${keyPrefix}bull`;
}

/**
 * A producer's side of a queue. BullMQ re-emits every error of the connection
 * on each Queue and prints it to the console when nothing listens: during a
 * Redis outage, one line per queue per reconnect attempt. They are the
 * connection's errors, which its own listener logs once, rate-limited
 * (`logRedisErrors`); a Queue emits no others.
 */
export function openQueue<T = unknown>(name: string, options: QueueOptions): Queue<T> {
  const queue = new Queue<T>(name, options);
  queue.on('error', () => undefined);
  return queue;
}

/**
 * Resolves once the jobs just added to `queue` through `connection` (the one it
 * was opened on) are on a replica (see `replicated`): what takes an outbox or
 * timetable entry away once its job is queued waits for this first, or a
 * failover could lose both.
 */
export function onReplica(connection: Redis, queue: Queue): Promise<void> {
  return replicated(connection, queue.toKey('meta'));
}
