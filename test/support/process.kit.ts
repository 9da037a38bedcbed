import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { YUKUAIBAN_CATALOG } from '../../adapters/yukuaiban/yukuaiban.catalog.js';
import type { CatalogItem } from '../../adapters/platform.port.js';
import { bullPrefix, QUEUES } from '../../queues/queues.js';
import { freePort, ping } from '../../lib/local-redis.js';
import { createQueueConnection } from '../../lib/redis.js';
import type { Caller } from '../../lib/auth/caller.js';
import { SUBGRAPH_NAMES } from '../../lib/config.js';
import type { ReceiveApplicationInput } from '../../ledger/workflow/application-input.js';
import { scanMaterials } from './scans.kit.js';
import { staffAt, type GraphQLResult, type TestStack } from './stack.js';
import { until } from './until.kit.js';

export { until };

/** A Monday inside office hours: every receiving window is open, whenever the suite runs. */
export const OFFICE_HOURS = new Date('2025-11-24T10:00:00+08:00');

/** 川渝通办 both ways: a Sichuan item handed in at Chongqing's hall, and a Chongqing item at Sichuan's. */
export const ROUTES: { region: 'SICHUAN' | 'CHONGQING'; item: CatalogItem; windowId: string }[] = [
  { region: 'SICHUAN', item: SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!, windowId: 'W-500000-01' },
  {
    region: 'CHONGQING',
    item: YUKUAIBAN_CATALOG.find((item) => item.scopes.includes('SICHUAN_CHONGQING') && item.scopes.includes('CROSS_DISTRICT'))!,
    windowId: 'W-510000-01',
  },
];

export const RECEIVE = /* GraphQL */ `
  mutation Receive($input: ReceiveApplicationInput!) {
    receiveApplication(input: $input) { __typename businessNo case { stage } }
  }
`;

export const DISPATCH = /* GraphQL */ `
  mutation Dispatch($no: ID!) { dispatchMaterials(businessNo: $no, channel: ONLINE) { stage } }
`;

/** A complete application (every required material), so receipt yields a RECEIVED case; `tag` marks whose it is. */
export function application(item: CatalogItem, windowId: string, tag: string): ReceiveApplicationInput {
  return {
    windowId,
    itemCode: item.code,
    applicant: { kind: 'ORGANISATION', name: `某某工程检测有限公司 ${tag}`, idNumber: '91350100M000100Y43' },
    contact: { name: '赵工', phone: '13812345678' },
    delivery: { method: 'PICKUP' },
    materials: item.materials.map(({ name, form, copies }) => ({ name, form, copies })),
    handler: tag,
  };
}

/** A case a window was told was accepted, and the events of the mutations that answered success. */
export interface AcknowledgedCase {
  businessNo: string;
  tag: string;
  events: string[];
}

/**
 * `drivers` window staff at the ROUTES' windows, each receiving applications one
 * after another and dispatching them online with their scans unless `keepAtWindow`
 * says so, until `stop`: what they were told was accepted, and how many attempts
 * failed (a request the gateway refused, or one it could not answer).
 */
export function driveStaff(stack: TestStack, options: { drivers: number; tag: string; keepAtWindow: (attempt: number) => boolean }) {
  const acknowledged: AcknowledgedCase[] = [];
  const counts = { attempted: 0, refused: 0 };
  let running = true;
  const drive = async (driver: number) => {
    for (let i = 0; running; i++) {
      const route = ROUTES[(driver + i) % ROUTES.length]!;
      const caller = staffAt(route.windowId);
      const tag = `${options.tag}-${driver}-${i}`;
      counts.attempted += 1;
      try {
        const received = await stack.as(caller).query<any>(RECEIVE, { input: application(route.item, route.windowId, tag) });
        if (received.errors || received.data?.receiveApplication?.__typename !== 'ReceiptNotice') {
          counts.refused += 1;
          continue;
        }
        const ack: AcknowledgedCase = { businessNo: received.data.receiveApplication.businessNo, tag, events: ['RECEIVED'] };
        acknowledged.push(ack);
        if (options.keepAtWindow(i)) continue;
        // Online transfer takes each material's scan first.
        await scanMaterials(stack, ack.businessNo);
        const dispatched = await stack.as(caller).query<any>(DISPATCH, { no: ack.businessNo });
        if (!dispatched.errors && dispatched.data?.dispatchMaterials?.stage === 'IN_TRANSFER') ack.events.push('MATERIALS_DISPATCHED');
      } catch {
        counts.refused += 1;
        // The gateway itself could not answer; give Redis a moment instead of spinning.
        await sleep(50);
      }
    }
  };
  const drivers = Array.from({ length: options.drivers }, (_, driver) => drive(driver));
  return {
    acknowledged,
    counts,
    async stop(): Promise<void> {
      running = false;
      await Promise.all(drivers);
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function gql<T = any>(stack: TestStack, caller: Caller, query: string, variables?: Record<string, unknown>): Promise<T> {
  const result: GraphQLResult<T> = await stack.as(caller).query<T>(query, variables);
  if (result.errors?.length) throw new Error(JSON.stringify(result.errors));
  return result.data as T;
}

/** The material-transfer queue as BullMQ stores it under the stack's prefix, for reading job states. */
export function transferQueue(redisUrl: string, keyPrefix: string): { queue: Queue; close(): Promise<void> } {
  const connection = createQueueConnection(redisUrl);
  const queue = new Queue(QUEUES.materialTransfer, { connection, prefix: bullPrefix(keyPrefix) });
  return {
    queue,
    close: async () => {
      await queue.close();
      connection.disconnect();
    },
  };
}

/** Platform cases per business number, as each sandbox holds them. */
export function platformCaseCounts(stack: TestStack): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (businessNo: string) => counts.set(businessNo, (counts.get(businessNo) ?? 0) + 1);
  for (const c of stack.sichuan.cases()) add(c.businessNo);
  for (const c of stack.yukuaiban.cases()) add(c.ywbh);
  return counts;
}

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything the process wrote, for the failure message of a test that waited on it in vain. */
  output(): string;
  /** Resolves with the first log line matching `pattern`. */
  waitForLog(pattern: RegExp, timeoutMs: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` unless the process has already gone, and waits for it to exit. */
  stop(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * One of the project's entry points (`jobs/main.ts`, `gateway/main.ts`) as its
 * own Node process, configured only through the environment as in production.
 */
export function startServiceProcess(entry: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: process.cwd(),
    // PATH and HOME only from this process: a developer's TONGBAN settings must not leak into the child.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => text,
    exited,
    waitForLog: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const line = text.split('\n').find((candidate) => pattern.test(candidate));
          if (line === undefined) return;
          cleanup();
          resolve(line);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${entry}: no log line matching ${pattern} within ${timeoutMs} ms; output:\n${text.slice(-4000)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        void exited.then(() => {
          if (!listeners.has(check)) return;
          cleanup();
          reject(new Error(`${entry} exited before logging ${pattern}; output:\n${text.slice(-4000)}`));
        });
        check();
      }),
    stop: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * A short lock and stalled check, so that a killed worker's job is taken up in seconds: jobs/main.ts
 * keeps BullMQ's defaults otherwise (a dead worker's lock lasts 30 s, stalled jobs are looked for every 30 s).
 */
export const FAST_STALL_RECOVERY = { WORKER_LOCK_DURATION_MS: '5000', WORKER_STALLED_INTERVAL_MS: '2000' };

/**
 * `jobs/main.ts` in a process of its own over the stack's Redis, file store and sandboxes, with its
 * own metrics port and the platform poll kept out of the way (so that only the queues move a case);
 * `env` adds to or overrides that. Resolves once its workers run; added to `started` at once, for
 * the test's cleanup to kill.
 */
export async function startWorkerProcess(stack: TestStack, env: Record<string, string> = {}, started: ServiceProcess[] = [], readyWithinMs = 30_000): Promise<ServiceProcess> {
  const worker = startServiceProcess('jobs/main.ts', {
    FILES_DIR: stack.filesDir,
    REDIS_URL: stack.redisUrl,
    REDIS_KEY_PREFIX: stack.prefix,
    SICHUAN_BASE_URL: stack.sichuan.url,
    YUKUAIBAN_BASE_URL: stack.yukuaiban.url,
    NOTIFY_BASE_URL: stack.notify.url,
    COURIER_BASE_URL: stack.courier.url,
    WORKERS_METRICS_PORT: '0',
    PLATFORM_POLL_MS: '3600000',
    LOG_LEVEL: 'info',
    ...env,
  });
  started.push(worker);
  await worker.waitForLog(/workers running/, readyWithinMs);
  return worker;
}

export interface GatewayProcess extends ServiceProcess {
  /** Where it listens, without a path: `${url}/graphql` is the API. */
  url: string;
  port: number;
}

/**
 * `gateway/main.ts` in a process of its own over the stack's Redis key prefix,
 * file store and running subgraphs, listening on a free port: one replica of a
 * fleet. Added to `started` at once, for the test's cleanup to kill.
 */
export async function startGatewayProcess(stack: TestStack, env: Record<string, string> = {}, started: ServiceProcess[] = []): Promise<GatewayProcess> {
  const gateway = startServiceProcess('gateway/main.ts', {
    FILES_DIR: stack.filesDir,
    REDIS_URL: stack.redisUrl,
    REDIS_KEY_PREFIX: stack.prefix,
    GATEWAY_PORT: '0',
    LOG_LEVEL: 'info',
    ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, stack.gateway.subgraphs[name]!])),
    ...env,
  });
  started.push(gateway);
  const listening = new URL((JSON.parse(await gateway.waitForLog(/gateway listening/, 90_000)) as { url: string }).url);
  return { ...gateway, url: listening.origin, port: Number(listening.port) };
}

/** Resident set size of this process in MiB, for the figures in RELIABILITY.md. */
export function rssMiB(): number {
  return Math.round(process.memoryUsage().rss / 2 ** 20);
}

export interface PrivateRedis {
  url: string;
  port: number;
  dir: string;
  /** SIGKILL, as a crash: no AOF rewrite, no shutdown save. */
  kill(): Promise<void>;
  /** Starts redis-server again on the same port and directory, and waits until it answers. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A redis-server of its own with AOF on in a temporary directory, so a test may
 * kill it without touching the Redis other tests share.
 */
export async function startPrivateRedis(appendfsync: 'always' | 'everysec'): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `tongban-chaos-redis-${appendfsync}-`));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const exited = (process: ChildProcess) =>
    process.exitCode !== null || process.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => process.once('exit', () => resolve()));

  const redis: PrivateRedis = {
    url,
    port,
    dir,
    async start() {
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', appendfsync, '--save', '', '--maxmemory-policy', 'noeviction'],
        { stdio: 'ignore' },
      );
      // The AOF is replayed before the port answers PING with PONG.
      await until(`redis-server on ${port}`, () => ping(url, 200), 10_000, 20);
    },
    async kill() {
      if (!child) return;
      const running = child;
      running.kill('SIGKILL');
      await exited(running);
    },
    async stop() {
      if (child) {
        const running = child;
        running.kill('SIGTERM');
        await exited(running);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  return redis;
}
