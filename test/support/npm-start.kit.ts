import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../lib/local-redis.js';
import { deleteKeysWithPrefix } from '../../lib/redis.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PORTS = [
  'GATEWAY_PORT', 'CASES_PORT', 'CHONGQING_PORT', 'SICHUAN_PORT', 'WINDOWS_PORT', 'COURIER_PORT', 'WORKERS_METRICS_PORT',
  'YUKUAIBAN_SANDBOX_PORT', 'SICHUAN_SANDBOX_PORT', 'COURIER_SANDBOX_PORT', 'NOTIFY_SANDBOX_PORT',
] as const;

/** What `npm start` runs, without npm's own start-up; exec so that the shell is not what Ctrl-C ends. */
export const NPM_START = 'node scripts/build.mjs && exec node --enable-source-maps dist/scripts/start.js';

export interface StartedStack {
  gatewayUrl: string;
  /** Leads the process group every service of the stack runs in. */
  pid: number;
  /** From the spawn to the gateway's first 200 on /ready. */
  readyMs: number;
  output(): string;
  /** Ctrl-C, as a person stops it; resolves with the exit code (null if it had to be killed). */
  stop(): Promise<number | null>;
}

/**
 * The whole stack as the shell `command` starts it, on free ports and a key prefix of its
 * own (its keys deleted on stop), resolved once the gateway is ready.
 * `freshTmp`: a TMPDIR of its own, where tsx keeps its compile cache, as on a fresh clone.
 */
export async function startLikeNpmStart(command: string, options: { redisUrl?: string; freshTmp?: boolean; readyWithinMs?: number } = {}): Promise<StartedStack> {
  const keyPrefix = `start-${process.pid}-${Date.now()}:`;
  // Without a REDIS_URL, start.ts finds or starts a Redis as it does for a newcomer.
  const env: Record<string, string> = { ...(process.env as Record<string, string>), REDIS_KEY_PREFIX: keyPrefix };
  if (options.redisUrl) env.REDIS_URL = options.redisUrl;
  for (const name of PORTS) env[name] = String(await freePort());
  const tmp = options.freshTmp ? mkdtempSync(join(tmpdir(), 'tongban-start-')) : undefined;
  if (tmp) env.TMPDIR = tmp;
  const readyWithinMs = options.readyWithinMs ?? 120_000;
  const startedAt = performance.now();
  const child = spawn('sh', ['-c', command], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const gatewayUrl = `http://127.0.0.1:${env.GATEWAY_PORT}`;
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGINT');
    const code = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 15_000))]);
    if (code === 'hung') process.kill(-child.pid!, 'SIGKILL');
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    if (options.redisUrl) await deleteKeysWithPrefix(options.redisUrl, keyPrefix);
    return code === 'hung' ? null : code;
  };
  for (;;) {
    const ok = await fetch(`${gatewayUrl}/ready`, { signal: AbortSignal.timeout(1000) }).then((response) => response.ok, () => false);
    if (ok) break;
    if (child.exitCode !== null || performance.now() - startedAt > readyWithinMs) {
      await stop();
      throw new Error(`${command}: no /ready within ${readyWithinMs / 1000} s (exit ${child.exitCode}):\n${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const readyMs = performance.now() - startedAt;
  // start.ts prints its banner just after /ready answers.
  for (let waited = 0; !/Press Ctrl-C/.test(output) && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  return { gatewayUrl, pid: child.pid!, readyMs, output: () => output, stop };
}
