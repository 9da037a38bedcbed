import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findOrStartRedis, freePort, ping, RedisNotAvailableError } from '../../lib/local-redis.js';
import { testRedisUrl } from '../support/stack.js';

describe('finding a Redis for npm start', () => {
  it('uses REDIS_URL when it answers and refuses one that does not', async () => {
    const found = await findOrStartRedis(testRedisUrl());
    expect(found.origin).toBe('REDIS_URL');
    const closed = `redis://127.0.0.1:${await freePort()}`;
    await expect(findOrStartRedis(closed)).rejects.toBeInstanceOf(RedisNotAvailableError);
  });

  it('uses the default port when something answers there', async () => {
    const found = await findOrStartRedis(undefined, testRedisUrl());
    expect(found).toMatchObject({ origin: 'default port', url: testRedisUrl() });
  });

  it('spawns a private redis-server with AOF when nothing answers, and removes it on stop', async () => {
    const nothingThere = `redis://127.0.0.1:${await freePort()}`;
    const spawned = await findOrStartRedis(undefined, nothingThere);
    try {
      expect(spawned.origin).toBe('spawned');
      expect(spawned.url).not.toBe(nothingThere);
      expect(await ping(spawned.url)).toBe(true);
      expect(existsSync(spawned.dataDir!)).toBe(true);
    } finally {
      await spawned.stop();
    }
    expect(await ping(spawned.url, 300)).toBe(false);
    expect(existsSync(spawned.dataDir!)).toBe(false);
  });
});
