import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { PlatformPort } from '../../adapters/platform.port.js';
import { YUKUAIBAN_CATALOG } from '../../adapters/yukuaiban/yukuaiban.catalog.js';
import { getDefaultCalendar, type WorkingCalendar } from '../../domain/calendar/index.js';
import type { Region } from '../../domain/region.js';
import { createJobQueues, type JobQueues } from '../../queues/job-queues.js';
import { bullPrefix } from '../../queues/queues.js';
import { loadConfig, type Config } from '../../lib/config.js';
import { createCourierClient, createPlatformClients } from '../../lib/platforms.js';
import { createQueueConnection, createRedis, deleteKeysWithPrefix, masterNodes } from '../../lib/redis.js';
import { createFileStore } from '../../lib/files/store-factory.js';
import type { CaseWorkflow } from '../../ledger/workflow/case-workflow.service.js';
import type { ReceiveApplicationInput } from '../../ledger/workflow/application-input.js';
import type { CaseStore } from '../../ledger/cases/case.store.js';
import { createCaseWorkflow } from '../../ledger/ledger.js';
import { ShipmentStore } from '../../ledger/shipments/shipment.store.js';
import { SAMPLE_WINDOWS } from '../../subgraphs/windows/sample-directory.data.js';
import { WindowDirectory } from '../../subgraphs/windows/window-directory.service.js';
import { WindowStore } from '../../ledger/windows/window.store.js';
import { startChild, type ChildHandle } from '../child.ipc.js';
import type { SandboxCredentials, SandboxUrls } from './platform-sandboxes.process.js';

const SANDBOXES_PROCESS = new URL('./platform-sandboxes.process.ts', import.meta.url);

/**
 * A Monday morning in office hours: receipt is refused outside a window's hours,
 * and a benchmark must not depend on when it is run. The clock then moves on
 * with real time from there.
 */
const OFFICE_MORNING = Date.parse('2025-11-24T09:30:00+08:00');

/** A Sichuan hall: every Chongqing item it receives is 川渝通办 and is forwarded to 渝快办. */
const RECEIVING_WINDOW = 'W-510000-01';
const ITEMS = YUKUAIBAN_CATALOG.filter((item) => item.scopes.includes('SICHUAN_CHONGQING'));

/**
 * The cases side of tongban as the workers run it (jobs/main.ts): the workflow,
 * stores and producer queues over real Redis, with the platform sandboxes in a
 * child process behind the real adapter clients. Everything lives under a key
 * prefix of its own, deleted on close.
 */
export interface CaseStack {
  prefix: string;
  redisUrl: string;
  /** The stores' connection, keys prefixed. */
  redis: Redis;
  /** BullMQ's connection (no key prefix; queues carry `bullPrefix`). */
  connection: Redis;
  bullPrefix: string;
  calendar: WorkingCalendar;
  now: () => Date;
  queues: JobQueues;
  workflow: CaseWorkflow;
  store: CaseStore;
  directory: WindowStore;
  platforms: Record<Region, PlatformPort>;
  /** Scans are kept in a directory of the stack's own, removed on close. */
  config: Config;
  courier: ReturnType<typeof createCourierClient>;
  shipments: ShipmentStore;
  sandboxes: ChildHandle;
  /**
   * Receives `count` applications at a Sichuan window (or at each of `windows` in
   * turn), `concurrency` at a time; every `deficientEvery`-th lacks a material.
   */
  receive(count: number, options?: { concurrency?: number; deficientEvery?: number; windows?: readonly string[] }): Promise<string[]>;
  /** Every key under the prefix with its `MEMORY USAGE` (all nested values sampled). */
  keyMemory(): Promise<Map<string, number>>;
  /** CPU seconds the Redis server has used so far (user and system), to divide a window's work by. */
  redisCpuSeconds(): Promise<number>;
  close(): Promise<void>;
}

export async function openCaseStack(): Promise<CaseStack> {
  const filesDir = mkdtempSync(join(tmpdir(), 'tongban-bench-files-'));
  const base = loadConfig();
  const config: Config = { ...base, files: { ...base.files, store: { kind: 'disk', directory: filesDir } } };
  const redisUrl = config.redis.url ?? 'redis://127.0.0.1:6379';
  const prefix = `tongban-bench:${randomUUID()}:`;
  const started = performance.now();
  const now = () => new Date(OFFICE_MORNING + (performance.now() - started));
  const calendar = getDefaultCalendar();

  const sandboxes = await startChild(SANDBOXES_PROCESS);
  const redis = createRedis(redisUrl, prefix);
  const connection = createQueueConnection(redisUrl);
  const queues = createJobQueues(connection, prefix, calendar, now);
  const close = async () => {
    try {
      await queues.close();
      connection.disconnect();
      redis.disconnect();
      await sandboxes.stop();
    } finally {
      await deleteKeysWithPrefix(redisUrl, prefix);
      rmSync(filesDir, { recursive: true, force: true });
    }
  };
  try {
    const { yukuaiban, sichuan, courier } = config.platforms;
    const urls = await sandboxes.request<SandboxUrls>('start', {
      yukuaiban: { appKey: yukuaiban.appKey, appSecret: yukuaiban.appSecret },
      sichuan: { appId: sichuan.appId, appSecret: sichuan.appSecret },
      courier: { partnerId: courier.partnerId, secret: courier.secret },
    } satisfies SandboxCredentials);
    const platforms = createPlatformClients(config, { CHONGQING: urls.yukuaiban, SICHUAN: urls.sichuan });
    const directory = new WindowStore(redis);
    await new WindowDirectory({ store: directory, calendar, now }).seed(SAMPLE_WINDOWS);
    const { workflow, store } = createCaseWorkflow({ redis, fileStore: createFileStore(config.files.store), platforms, transfers: queues.transfers, notifications: queues.notifications, alerts: queues.alerts, files: config.files.policy, verifyBaseUrl: config.certificates.verifyBaseUrl, calendar, now });

    const receiveOne = async (index: number, deficient: boolean, windowId: string) => {
      const item = ITEMS[index % ITEMS.length]!;
      const materials = item.materials.map(({ name, form, copies }) => ({ name, form, copies }));
      const input: ReceiveApplicationInput = {
        windowId,
        itemCode: item.code,
        applicant: { kind: 'ORGANISATION', name: '某某工程检测有限公司', idNumber: '91350100M000100Y43' },
        contact: { name: '赵工', phone: '13812345678' },
        delivery: { method: 'PICKUP' },
        materials: deficient ? materials.slice(1) : materials,
        handler: '李四',
      };
      return (await workflow.receiveApplication(input, 'WINDOW_STAFF:bench')).record.businessNo;
    };

    return {
      prefix,
      redisUrl,
      redis,
      connection,
      bullPrefix: bullPrefix(prefix),
      calendar,
      now,
      queues,
      workflow,
      store,
      directory,
      platforms,
      config,
      courier: createCourierClient(config, urls.courier),
      shipments: new ShipmentStore(redis),
      sandboxes,
      async receive(count, { concurrency = 16, deficientEvery = 0, windows = [RECEIVING_WINDOW] } = {}) {
        const businessNos: string[] = new Array(count);
        let next = 0;
        const lane = async () => {
          for (let index = next++; index < count; index = next++) {
            businessNos[index] = await receiveOne(index, deficientEvery > 0 && index % deficientEvery === deficientEvery - 1, windows[index % windows.length]!);
          }
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
        return businessNos;
      },
      async keyMemory() {
        const keys: string[] = [];
        let cursor = '0';
        do {
          const [next, found] = await connection.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          cursor = next;
          keys.push(...found);
        } while (cursor !== '0');
        const sizes = new Map<string, number>();
        for (let start = 0; start < keys.length; start += 1000) {
          const batch = keys.slice(start, start + 1000);
          const pipeline = connection.pipeline();
          for (const key of batch) pipeline.memory('USAGE', key, 'SAMPLES', 0);
          const results = (await pipeline.exec()) ?? [];
          results.forEach(([error, bytes], index) => {
            if (error) throw error;
            // A key gone between SCAN and MEMORY USAGE (a completed job trimmed) answers null.
            if (typeof bytes === 'number') sizes.set(batch[index]!.slice(prefix.length), bytes);
          });
        }
        return sizes;
      },
      async redisCpuSeconds() {
        // Every master of a cluster: the work is spread over them.
        const infos = await Promise.all((await masterNodes(connection)).map((node) => node.info('cpu')));
        const field = (info: string, name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
        return infos.reduce((sum, info) => sum + field(info, 'used_cpu_user') + field(info, 'used_cpu_sys'), 0);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
