import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

/**
 * A connection for the stores. The key prefix is applied by ioredis to every key,
 * including the KEYS of Lua scripts, so each deployment or test run owns its own
 * namespace in a shared Redis.
 */
export function createRedis(url: string, keyPrefix: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { keyPrefix, lazyConnect: false, enableAutoPipelining: true, ...options });
}

/**
 * BullMQ refuses connections with a key prefix and needs blocking commands to wait
 * forever, hence its own connection options.
 */
export function createQueueConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

/** Deletes every key under `prefix` (for tests and for `npm start`'s throwaway Redis). */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/**
 * Connection trouble as structured log lines, at most one per `everyMs` with the
 * number suppressed: without a listener ioredis writes "Unhandled error event"
 * to stderr for every reconnect attempt, hundreds a minute during an outage.
 */
export function logRedisErrors(client: Redis, logger: Logger, connection: string, everyMs = 10_000): void {
  let lastAt = -Infinity;
  let suppressed = 0;
  client.on('error', (error: Error) => {
    const now = Date.now();
    if (now - lastAt < everyMs) {
      suppressed++;
      return;
    }
    logger.error({ connection, err: error, suppressed }, 'Redis connection error');
    lastAt = now;
    suppressed = 0;
  });
}

/**
 * Whether Redis keeps what it acknowledged: with appendfsync everysec a crash
 * lost acknowledged cases and their business numbers were issued again
 * (RELIABILITY.md, the restart test); with an eviction policy, a full Redis
 * drops webhook nonces (replays get through) and rate budgets (limits reset).
 */
export async function checkDurability(redis: Redis, logger: Logger): Promise<'durable' | 'not durable' | 'evicts' | 'unknown'> {
  let settings: Record<string, string>;
  try {
    const read = async (name: string) => ((await redis.config('GET', name)) as string[])[1] ?? '';
    settings = { appendonly: await read('appendonly'), appendfsync: await read('appendfsync'), 'maxmemory-policy': await read('maxmemory-policy') };
  } catch (error) {
    logger.warn(
      { err: error },
      'Redis settings cannot be read (CONFIG is disabled?): make sure it runs with appendonly yes, appendfsync always and maxmemory-policy noeviction',
    );
    return 'unknown';
  }
  if (settings['maxmemory-policy'] !== 'noeviction') {
    logger.error(settings, 'Redis may evict keys when full (webhook nonces, rate budgets, cases): run it with maxmemory-policy noeviction');
    return 'evicts';
  }
  if (settings.appendonly === 'yes' && settings.appendfsync === 'always') return 'durable';
  logger.error(settings, 'Redis can lose acknowledged cases on a crash: run it with appendonly yes and appendfsync always');
  return 'not durable';
}

/** Production starts only on a Redis that keeps and does not evict; one whose settings cannot be read is let through with a warning. */
export async function requireDurability(redis: Redis, logger: Logger): Promise<void> {
  const verdict = await checkDurability(redis, logger);
  if (verdict === 'not durable' || verdict === 'evicts') {
    throw new Error(`refusing to start in production: Redis is ${verdict === 'evicts' ? 'set to evict keys' : 'not durable'} (see the log line above)`);
  }
}
