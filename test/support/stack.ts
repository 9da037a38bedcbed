import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { startSichuanSandbox, type SichuanSandbox } from '../../adapters/sichuan/sichuan.sandbox.js';
import { startYukuaibanSandbox, type YukuaibanSandbox } from '../../adapters/yukuaiban/yukuaiban.sandbox.js';
import { startGateway, type GatewayOptions, type RunningGateway } from '../../gateway/gateway.server.js';
import { createTokenVerifier, issueToken } from '../../lib/auth/access-token.js';
import type { Caller } from '../../lib/auth/caller.js';
import { asGateway } from './subgraph-request.js';
import { loadConfig, SUBGRAPH_NAMES, type Config, type SubgraphName } from '../../lib/config.js';
import type { RunningServer } from '../../lib/http-server.js';
import { createLogger } from '../../lib/logger.js';
import { createPlatformClients } from '../../lib/platforms.js';
import type { PlatformPort } from '../../adapters/platform.port.js';
import type { Region } from '../../domain/region.js';
import { freePort } from '../../lib/local-redis.js';
import { createQueueConnection, createRedis, deleteKeysWithPrefix, scanKeys } from '../../lib/redis.js';
import { startNotifySandbox, type NotifySandbox } from '../../adapters/notify/notify.sandbox.js';
import { getDefaultCalendar } from '../../domain/calendar/index.js';
import { createJobQueues, type JobQueues } from '../../queues/job-queues.js';
import { createCourierClient, createNotifyClient } from '../../lib/platforms.js';
import { startCourierSandbox, type CourierSandbox } from '../../adapters/courier/courier.sandbox.js';
import { courierCaseEffects } from '../../jobs/courier-case-effects.js';
import { COURIER_WEBHOOK_PATH } from '../../subgraphs/courier/server.js';
import { ShipmentStore } from '../../ledger/shipments/shipment.store.js';
import { AlertStore } from '../../ledger/alerts/alert.store.js';
import { createProcessors, workerFileDeps } from '../../jobs/processors.js';
import { startWorkers, type WorkerHost } from '../../jobs/worker-host.js';
import type { CaseWorkflow } from '../../ledger/workflow/case-workflow.service.js';
import type { OutsideTimeReport } from '../../ledger/workflow/ports.js';
import type { CaseStore } from '../../ledger/cases/case.store.js';
import { createCaseWorkflow } from '../../ledger/ledger.js';
import { bullPrefix } from '../../queues/queues.js';
import { YUKUAIBAN_WEBHOOK_PATH } from '../../subgraphs/chongqing/server.js';
import { SICHUAN_WEBHOOK_PATH } from '../../subgraphs/sichuan/server.js';
import { startSubgraphByName } from '../../subgraphs/index.js';
import type { FileStore } from '../../lib/files/file-store.js';
import { CertificateStore } from '../../ledger/certificates/certificate.store.js';

export interface GraphQLResult<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export interface TestStack {
  config: Config;
  prefix: string;
  redis: Redis;
  redisUrl: string;
  gateway: RunningGateway;
  subgraphs: Record<SubgraphName, RunningServer>;
  yukuaiban: YukuaibanSandbox;
  sichuan: SichuanSandbox;
  /** As the default caller: window staff of 重庆市政务服务中心 (W-500000-01). */
  query<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResult<T>>;
  /** Queries the gateway as someone else. */
  as(caller: Caller): { query<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResult<T>> };
  token(caller: Caller): Promise<string>;
  /** Where this stack's disk file store keeps scans: processes a test spawns beside it share it. */
  filesDir: string;
  /** The stack's file store of scans, certificates and case archives. */
  fileStore: FileStore;
  /** What a second gateway over the same subgraphs needs, for tests that start their own. */
  gatewayOptions: Omit<GatewayOptions, 'subgraphUrls' | 'subgraphTimeoutMs' | 'supergraphSdl' | 'supergraph'> & { supergraphSdl: string };
  querySubgraph<T = Record<string, unknown>>(name: SubgraphName, query: string, variables?: Record<string, unknown>): Promise<GraphQLResult<T>>;
  stopSubgraph(name: SubgraphName): Promise<void>;
  workers: WorkerHost;
  workflow: CaseWorkflow;
  store: CaseStore;
  alerts: AlertStore;
  queues: JobQueues;
  notify: NotifySandbox;
  courier: CourierSandbox;
  shipments: ShipmentStore;
  /** Outside times the in-process workers' workflow had to bound, as jobs/main.ts logs and counts them. */
  outsideTimes: OutsideTimeReport[];
  /** The time every part of the stack reads; tests move it to cross days and holidays. */
  clock: { now: () => Date };
  /** This stack's keys matching `pattern` (under its prefix, named without it), from every master of a cluster. */
  keys(pattern: string): Promise<string[]>;
  close(): Promise<void>;
}

export const testLogger = createLogger({ level: 'silent', service: 'test' });

export const DEFAULT_CALLER: Caller = { subject: 'staff-cq-01', role: 'WINDOW_STAFF', region: 'CHONGQING', windowId: 'W-500000-01' };

export function staffAt(windowId: string, role: Caller['role'] = 'WINDOW_STAFF'): Caller {
  const region = windowId.startsWith('W-50') ? 'CHONGQING' : 'SICHUAN';
  return { subject: `staff-${windowId}-${role.toLowerCase()}`, role, region, windowId };
}

export function testRedisUrl(): string {
  return loadConfig().redis.url ?? 'redis://127.0.0.1:6379';
}

/** A key prefix of its own, so test runs sharing one Redis never see each other's keys. */
export function testPrefix(): string {
  return `tongban-test:${randomUUID()}:`;
}

/**
 * The whole federated stack in this process, every server on a free loopback
 * port, over real Redis and the real platform sandboxes.
 */
export interface TestStackOptions {
  subgraphTimeoutMs?: number;
  now?: () => Date;
  /** Items whose cases the Sichuan sandbox ends with 不予受理. */
  sichuanRejects?: string[];
  /** False: the sandboxes push no webhooks, as a platform that has fallen silent. */
  webhooks?: boolean;
  /** Default: the shared test Redis (testRedisUrl()); chaos tests bring a private redis-server. */
  redisUrl?: string;
  /** Further configuration variables as lib/config.ts reads them, e.g. PLATFORM_TIMEOUT_MS or MUTATIONS_PER_MINUTE. */
  env?: Record<string, string>;
  /** Builds the platform clients instead of lib/platforms.ts, e.g. with a shorter circuit-breaker cool-down. */
  platforms?: (config: Config, urls: Record<Region, string>) => Record<Region, PlatformPort>;
  /** False: no in-process workers, for tests that run them in a process of their own. */
  workers?: boolean;
  /** BullMQ worker settings over the stack's, e.g. a shorter stalled-job interval. */
  workerOptions?: Partial<WorkerOptions>;
}

export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const redisUrl = options.redisUrl ?? testRedisUrl();
  const prefix = testPrefix();
  // Each stack keeps its scans in a directory of its own, removed on close, unless the test names one (or S3).
  const filesDir = options.env?.FILES_DIR ?? mkdtempSync(join(tmpdir(), 'tongban-files-'));
  const config = loadConfig({ FILES_DIR: filesDir, ...options.env, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'silent', NODE_ENV: 'test' });
  const redis = createRedis(redisUrl, prefix);
  const tokens = createTokenVerifier(config.auth);
  const token = (caller: Caller) => issueToken(config.auth, caller);
  const defaultToken = await token(DEFAULT_CALLER);

  const queueConnection = createQueueConnection(redisUrl);
  const calendar = getDefaultCalendar();
  const clock = { now: options.now ?? (() => new Date()) };
  const queues = createJobQueues(queueConnection, prefix, calendar, () => clock.now());
  const notify = await startNotifySandbox({ port: 0, appId: config.platforms.notify.appId, secret: config.platforms.notify.secret });

  // The sandboxes push to the platform subgraphs, which need the sandboxes' URLs: their ports are chosen first.
  const ports: Record<SubgraphName, number> = {
    cases: 0,
    chongqing: await freePort(),
    sichuan: await freePort(),
    windows: 0,
    courier: await freePort(),
  };
  const yukuaiban = await startYukuaibanSandbox({
    port: 0,
    appKey: config.platforms.yukuaiban.appKey,
    appSecret: config.platforms.yukuaiban.appSecret,
    webhookUrl: options.webhooks === false ? undefined : `http://127.0.0.1:${ports.chongqing}${YUKUAIBAN_WEBHOOK_PATH}`,
  });
  const sichuan = await startSichuanSandbox({
    port: 0,
    appId: config.platforms.sichuan.appId,
    appSecret: config.platforms.sichuan.appSecret,
    webhookUrl: options.webhooks === false ? undefined : `http://127.0.0.1:${ports.sichuan}${SICHUAN_WEBHOOK_PATH}`,
    rejectItemCodes: options.sichuanRejects,
  });
  const platformUrls = { CHONGQING: yukuaiban.url, SICHUAN: sichuan.url };
  const courier = await startCourierSandbox({
    partnerId: config.platforms.courier.partnerId,
    secret: config.platforms.courier.secret,
    pushUrl: options.webhooks === false ? undefined : `http://127.0.0.1:${ports.courier}${COURIER_WEBHOOK_PATH}`,
  });
  const shipments = new ShipmentStore(redis);
  const platforms = options.platforms?.(config, platformUrls) ?? createPlatformClients(config, platformUrls);

  const subgraphs = {} as Record<SubgraphName, RunningServer>;
  for (const name of SUBGRAPH_NAMES) {
    subgraphs[name] = await startSubgraphByName(name, ports[name], {
      config,
      redis,
      platforms,
      queues,
      logger: testLogger,
      tokens,
      now: () => clock.now(),
    });
  }
  const outsideTimes: OutsideTimeReport[] = [];
  const fileDeps = workerFileDeps(config.files, redis);
  const { workflow, store, directory } = createCaseWorkflow({
    redis,
    fileStore: fileDeps.files,
    platforms,
    transfers: queues.transfers,
    notifications: queues.notifications,
    alerts: queues.alerts,
    files: config.files.policy,
    verifyBaseUrl: config.certificates.verifyBaseUrl,
    calendar,
    now: () => clock.now(),
    onOutsideTime: (report) => outsideTimes.push(report),
  });
  const alerts = new AlertStore(redis);
  const workers = startWorkers({
    connection: queueConnection,
    prefix: bullPrefix(prefix),
    processors: options.workers === false ? {} : createProcessors({
      workflow,
      store,
      alerts,
      directory,
      calendar,
      platforms,
      ...fileDeps,
      archiveAfterDays: config.jobs.archiveAfterDays,
      certificates: new CertificateStore(redis),
      notify: createNotifyClient(config, notify.url),
      courier: createCourierClient(config, courier.url),
      shipments,
      caseEffects: courierCaseEffects(workflow),
      queues,
      now: () => clock.now(),
    }),
    logger: testLogger,
    workerOptions: { drainDelay: 1, ...options.workerOptions },
  });
  const gatewayOptions = {
    host: '127.0.0.1',
    port: 0,
    supergraphSdl: readFileSync('supergraph.graphql', 'utf8'),
    production: false,
    logger: testLogger,
    tokens,
    signingKey: config.gatewayKeys[0]!,
    redis,
    mutationsPerMinute: config.auth.mutationsPerMinute,
    files: config.files,
    verifyPerMinute: config.gateway.verifyPerMinute,
    trustedProxyHops: config.gateway.trustedProxyHops,
  };
  const gateway = await startGateway({
    ...gatewayOptions,
    subgraphUrls: Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, `${subgraphs[name].url}/graphql`])),
    subgraphTimeoutMs: options.subgraphTimeoutMs ?? 5000,
  });

  const stopped = new Set<SubgraphName>();
  const post = async <T>(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${defaultToken}`, ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLResult<T>;
  };
  const postToSubgraph = async <T>(url: string, query: string, variables?: Record<string, unknown>) => {
    const body = JSON.stringify({ query, variables });
    const response = await fetch(url, { method: 'POST', headers: asGateway(config.gatewayKeys[0]!, url, body, `Bearer ${defaultToken}`), body });
    return (await response.json()) as GraphQLResult<T>;
  };

  return {
    config,
    prefix,
    redis,
    redisUrl,
    gateway,
    subgraphs,
    yukuaiban,
    sichuan,
    workers,
    workflow,
    store,
    alerts,
    queues,
    notify,
    courier,
    shipments,
    clock,
    outsideTimes,
    query: (query, variables, headers) => post(`${gateway.url}/graphql`, query, variables, headers),
    as: (caller) => ({
      query: async (query, variables) =>
        post(`${gateway.url}/graphql`, query, variables, { authorization: `Bearer ${await token(caller)}` }),
    }),
    token,
    gatewayOptions,
    filesDir,
    keys: async (pattern) => (await scanKeys(redis, `${prefix}${pattern}`)).map((key) => key.slice(prefix.length)).sort(),
    fileStore: fileDeps.files,
    querySubgraph: (name, query, variables) => postToSubgraph(`${subgraphs[name].url}/graphql`, query, variables),
    stopSubgraph: async (name) => {
      stopped.add(name);
      await subgraphs[name].close();
    },
    close: async () => {
      await gateway.close();
      for (const name of SUBGRAPH_NAMES) if (!stopped.has(name)) await subgraphs[name].close();
      await workers.close();
      await Promise.all([yukuaiban.close(), sichuan.close(), courier.close()]);
      await notify.close();
      await queues.close();
      queueConnection.disconnect();
      redis.disconnect();
      await deleteKeysWithPrefix(redisUrl, prefix);
      if (!options.env?.FILES_DIR) rmSync(filesDir, { recursive: true, force: true });
    },
  };
}
