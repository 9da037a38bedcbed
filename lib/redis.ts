import { Redis, type RedisOptions } from 'ioredis';

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
