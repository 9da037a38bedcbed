import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createJobQueues } from '../../queues/job-queues.js';
import { getDefaultCalendar } from '../../domain/calendar/index.js';
import { freePort } from '../../lib/local-redis.js';
import { createLogger } from '../../lib/logger.js';
import { checkDurability, logRedisErrors, requireDurability } from '../../lib/redis.js';
import { startPrivateRedis, type PrivateRedis } from '../support/process.kit.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) });
  return { lines, logger: createLogger({ level: 'info', service: 'test' }, sink) };
}

describe('Redis as the services see it at start and during an outage', () => {
  const servers: PrivateRedis[] = [];

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('says whether Redis keeps what it acknowledged', async () => {
    for (const [fsync, expected] of [['always', 'durable'], ['everysec', 'not durable']] as const) {
      const server = await startPrivateRedis(fsync);
      servers.push(server);
      const redis = new Redis(server.url);
      const { lines, logger } = capture();
      try {
        expect(await checkDurability(redis, logger)).toBe(expected);
        expect(lines.filter((line) => line.level === 50)).toHaveLength(expected === 'durable' ? 0 : 1);
        if (expected === 'durable') await expect(requireDurability(redis, logger)).resolves.toBeUndefined();
        else await expect(requireDurability(redis, logger)).rejects.toThrow(/not durable/);
      } finally {
        redis.disconnect();
      }
    }
  });

  it('refuses, in production, a Redis that may evict nonces and rate budgets when full', async () => {
    const server = await startPrivateRedis('always');
    servers.push(server);
    const redis = new Redis(server.url);
    const { lines, logger } = capture();
    try {
      await requireDurability(redis, logger);
      await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
      expect(await checkDurability(redis, logger)).toBe('evicts');
      await expect(requireDurability(redis, logger)).rejects.toThrow(/evict/);
      expect(lines.filter((line) => line.level === 50).map((line) => line.msg)).toEqual([
        expect.stringMatching(/maxmemory-policy noeviction/),
        expect.stringMatching(/maxmemory-policy noeviction/),
      ]);
    } finally {
      redis.disconnect();
    }
  });

  it('logs connection errors through the logger, a line per interval with the rest counted', async () => {
    const port = await freePort();
    const { lines, logger } = capture();
    const client = new Redis(`redis://127.0.0.1:${port}`, { retryStrategy: () => 20, maxRetriesPerRequest: 0 });
    logRedisErrors(client, logger, 'stores', 300);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    client.disconnect();
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeLessThanOrEqual(5);
    expect(lines.every((line) => line.level === 50 && line.connection === 'stores' && line.msg === 'Redis connection error')).toBe(true);
    expect(lines.slice(1).some((line) => (line.suppressed as number) > 0)).toBe(true);
  });

  it('leaves an outage to the connection\'s log: the producers\' queues print nothing to the console', async () => {
    const port = await freePort();
    const { lines, logger } = capture();
    const connection = new Redis(`redis://127.0.0.1:${port}`, { retryStrategy: () => 20, maxRetriesPerRequest: null });
    logRedisErrors(connection, logger, 'queues', 300);
    const printed = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const queues = createJobQueues(connection, 'tongban-test:outage:', getDefaultCalendar());
    try {
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(printed).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
      connection.disconnect();
      await queues.close().catch(() => undefined);
    }
  });
});
