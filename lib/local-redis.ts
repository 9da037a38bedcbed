import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedis } from './redis.js';

export interface LocalRedis {
  url: string;
  /** How this Redis was found, for the start-up banner. */
  origin: 'REDIS_URL' | 'default port' | 'spawned';
  /** The temporary directory of a spawned Redis, removed by `stop()`. */
  dataDir?: string;
  stop(): Promise<void>;
}

export class RedisNotAvailableError extends Error {
  readonly code = 'REDIS.NOT_AVAILABLE';
}

export async function ping(url: string, timeoutMs = 1000): Promise<boolean> {
  // A cluster URL too (REDIS_URL may name one): PONG from any node through a Cluster that found its slots.
  const redis = createRedis(url, '', { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableAutoPipelining: false });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

// Ports handed out for a later listen (a sandbox's webhook target, a Redis that restarts on its port) come
// from below the kernel's ephemeral range (32768–60999 on Linux): a port from listen(0) is free only
// until an outgoing connection takes it as its source port, which under load happened between the
// choice and the listen.
const RESERVABLE_PORTS = { from: 20_000, to: 32_767 };

function listensOn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A loopback port nothing listens on, outside the range the kernel gives outgoing connections. */
export async function freePort(): Promise<number> {
  const span = RESERVABLE_PORTS.to - RESERVABLE_PORTS.from + 1;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = RESERVABLE_PORTS.from + Math.floor(Math.random() * span);
    if (await listensOn(port)) return port;
  }
  throw new Error(`no free port in ${RESERVABLE_PORTS.from}–${RESERVABLE_PORTS.to}`);
}

/**
 * Finds a Redis for a local run: the configured one, else the usual local
 * port, else a private `redis-server` with AOF on a free port in a temporary
 * directory, stopped and removed with `stop()`.
 */
export async function findOrStartRedis(
  configuredUrl: string | undefined,
  defaultUrl = 'redis://127.0.0.1:6379',
): Promise<LocalRedis> {
  if (configuredUrl) {
    if (await ping(configuredUrl)) return { url: configuredUrl, origin: 'REDIS_URL', stop: async () => undefined };
    throw new RedisNotAvailableError(`REDIS_URL=${configuredUrl} does not answer PING`);
  }
  if (await ping(defaultUrl, 500)) return { url: defaultUrl, origin: 'default port', stop: async () => undefined };

  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new RedisNotAvailableError(
      'no Redis answers on 127.0.0.1:6379 and redis-server is not on PATH.\n' +
        '  Install Redis 7 (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)\n' +
        '  or point REDIS_URL at a running Redis.',
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tongban-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await ping(url, 200)) {
      return { url, origin: 'spawned', dataDir: dir, stop: () => stopChild(child, dir) };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stopChild(child, dir);
  throw new RedisNotAvailableError(`redis-server did not start on port ${port}`);
}

async function stopChild(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
}
