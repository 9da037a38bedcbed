import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lib/local-redis.js';
import { createLogger } from '../../lib/logger.js';
import { checkDurability, logRedisErrors } from '../../lib/redis.js';
import { startPrivateRedis, type PrivateRedis } from '../chaos/support.js';

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
      } finally {
        redis.disconnect();
      }
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
});
