import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { CourierClient } from '../../adapters/courier/courier.client.js';
import { startCourierSandbox, type CourierSandbox } from '../../adapters/courier/courier.sandbox.js';
import { applyClockEvent, NEW_CLOCK } from '../../domain/clock/index.js';
import type { Scope } from '../../domain/region.js';
import { COURIER_SYNC_QUEUE, CourierEventQueue } from '../../queues/courier-events.queue.js';
import { courierSyncProcessor, type CaseEffects } from '../../jobs/courier-sync.processor.js';
import { bullPrefix } from '../../queues/queues.js';
import { createTokenVerifier, issueToken } from '../../lib/auth/access-token.js';
import type { Caller } from '../../lib/auth/caller.js';
import { asGateway } from './subgraph-request.js';
import { loadConfig } from '../../lib/config.js';
import type { RunningServer } from '../../lib/http-server.js';
import { RedisNonceStore } from '../../lib/nonce-store.js';
import { createQueueConnection, createRedis, deleteKeysWithPrefix, scanKeys } from '../../lib/redis.js';
import { startSubgraph } from '../../lib/subgraph-server.js';
import type { CaseRecord } from '../../ledger/cases/case.model.js';
import { COURIER_WEBHOOK_PATH, courierSubgraph } from '../../subgraphs/courier/server.js';
import { ShipmentStore } from '../../ledger/shipments/shipment.store.js';
import { SAMPLE_WINDOWS } from '../../subgraphs/windows/sample-directory.data.js';
import type { WindowRecord } from '../../ledger/windows/window.model.js';
import type { GraphQLResult } from './stack.js';
import { testLogger, testPrefix, testRedisUrl } from './stack.js';
import { until } from './until.kit.js';

export type EffectName = keyof CaseEffects;

/** A CaseEffects that only remembers its successful calls, in order; it can be told to fail. */
export interface RecordingEffects extends CaseEffects {
  calls: { effect: EffectName; businessNo: string; at: string }[];
  of(businessNo: string): EffectName[];
  /** The next call of `effect` for `businessNo` throws, as a case store that is down would. */
  failNext(effect: EffectName, businessNo: string): void;
  failures: number;
}

export function recordingEffects(): RecordingEffects {
  const calls: RecordingEffects['calls'] = [];
  const failing = new Set<string>();
  const recorder: Pick<RecordingEffects, 'failures'> = { failures: 0 };
  const record = (effect: EffectName) => async (businessNo: string, at: string) => {
    if (failing.delete(`${effect} ${businessNo}`)) {
      recorder.failures += 1;
      throw new Error(`${effect} failed`);
    }
    calls.push({ effect, businessNo, at });
  };
  return {
    calls,
    of: (businessNo) => calls.filter((call) => call.businessNo === businessNo).map((call) => call.effect),
    failNext: (effect, businessNo) => failing.add(`${effect} ${businessNo}`),
    get failures() {
      return recorder.failures;
    },
    paperCollected: record('paperCollected'),
    materialsDelivered: record('materialsDelivered'),
    resultDeliveredToWindow: record('resultDeliveredToWindow'),
    resultDeliveredToApplicant: record('resultDeliveredToApplicant'),
  };
}

/**
 * The courier half of the stack in this process: the courier subgraph with its
 * webhook, the courier-sync worker, the courier sandbox (pushing to the webhook
 * unless `pushes` is false) and a client of it, over real Redis under a prefix
 * of its own.
 */
export interface CourierStack {
  prefix: string;
  redisUrl: string;
  redis: Redis;
  shipments: ShipmentStore;
  effects: RecordingEffects;
  events: CourierEventQueue;
  subgraph: RunningServer;
  sandbox: CourierSandbox;
  courier: CourierClient;
  directory: { getMany(ids: readonly string[]): Promise<(WindowRecord | null)[]> };
  /** What the subgraph takes as now; tests move it. */
  clock: { now: Date };
  secret: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, caller?: Caller): Promise<GraphQLResult<T>>;
  /** Resolves once the courier-sync queue has nothing waiting, delayed (a retry) or running. */
  drained(): Promise<void>;
  /** Every key under the prefix, sorted, without BullMQ's own timers that come and go by themselves. */
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

export const OPS: Caller = { subject: 'ops-01', role: 'OPS', region: 'CHONGQING', windowId: null };
export const WINDOW_STAFF: Caller = { subject: 'staff-cq-01', role: 'WINDOW_STAFF', region: 'CHONGQING', windowId: 'W-500000-01' };

export async function startCourierStack(options: { pushes?: boolean } = {}): Promise<CourierStack> {
  const redisUrl = testRedisUrl();
  const prefix = testPrefix();
  const config = loadConfig({ REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'silent', NODE_ENV: 'test' });
  const secret = config.platforms.courier.secret;
  const partnerId = 'tongban-test';
  const redis = createRedis(redisUrl, prefix);
  const connection = createQueueConnection(redisUrl);
  const shipments = new ShipmentStore(redis);
  const effects = recordingEffects();
  const events = new CourierEventQueue(connection, bullPrefix(prefix));
  const clock = { now: new Date() };

  const subgraph = await startSubgraph(
    courierSubgraph({ redis, partnerId, secret, nonceStore: new RedisNonceStore(redis, 'courier'), events, logger: testLogger, now: () => clock.now }),
    { host: '127.0.0.1', port: 0, logger: testLogger, tokens: createTokenVerifier(config.auth), gatewayKeys: config.gatewayKeys },
  );
  const worker = new Worker(COURIER_SYNC_QUEUE, courierSyncProcessor({ shipments, effects }), {
    connection,
    prefix: bullPrefix(prefix),
    concurrency: 8,
    drainDelay: 1,
  });
  const sandbox = await startCourierSandbox({
    partnerId,
    secret,
    pushUrl: options.pushes === false ? undefined : `${subgraph.url}${COURIER_WEBHOOK_PATH}`,
    pushRetryDelayMs: 20,
  });
  const syncQueue = new Queue(COURIER_SYNC_QUEUE, { connection, prefix: bullPrefix(prefix) });
  const courier = new CourierClient({ baseUrl: sandbox.url, partnerId, secret, timeoutMs: 2000, retryBaseMs: 5 });
  const windows = new Map(SAMPLE_WINDOWS.map((draft): [string, WindowRecord] => [draft.id, { ...draft, version: 1, updatedAt: null }]));

  return {
    prefix,
    redisUrl,
    redis,
    shipments,
    effects,
    events,
    subgraph,
    sandbox,
    courier,
    directory: { getMany: async (ids) => ids.map((id) => windows.get(id) ?? null) },
    clock,
    secret,
    gql: async (query, variables, caller = WINDOW_STAFF) => {
      const body = JSON.stringify({ query, variables });
      const url = `${subgraph.url}/graphql`;
      const response = await fetch(url, { method: 'POST', headers: asGateway(config.gatewayKeys[0]!, url, body, `Bearer ${await issueToken(config.auth, caller)}`), body });
      return (await response.json()) as GraphQLResult<any>;
    },
    drained: async () => {
      await until('the sync queue idle', async () => {
        const counts = await syncQueue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
        return Object.values(counts).every((count) => count === 0);
      });
    },
    keys: async () => {
      const found = await scanKeys(redis, `${prefix}*`);
      return found.filter((key) => !key.endsWith(':stalled-check')).sort();
    },
    close: async () => {
      await sandbox.close();
      await subgraph.close();
      await worker.close();
      await Promise.all([events.close(), syncQueue.close()]);
      connection.disconnect();
      redis.disconnect();
      await deleteKeysWithPrefix(redisUrl, prefix);
    },
  };
}

let caseSeq = 0;

/**
 * A case as the workflow leaves it after dispatchMaterials: accepted at the
 * receiving window, materials reviewed, clock paused, transfer under way.
 */
export function transferredCase(options: {
  receivingWindowId?: string;
  jurisdictionWindowId?: string;
  scope?: Scope;
  channel?: 'ONLINE' | 'OFFLINE' | 'BOTH';
  paperDueAt?: string;
} = {}): CaseRecord {
  caseSeq += 1;
  const acceptedAt = '2025-11-24T10:00:00+08:00';
  const dispatchedAt = '2025-11-24T11:00:00+08:00';
  const channel = options.channel ?? 'OFFLINE';
  const started = applyClockEvent(NEW_CLOCK, { type: 'START', at: acceptedAt });
  return {
    version: 3,
    businessNo: `TB20251124500000${String(90000 + caseSeq).padStart(5, '0')}`,
    scope: options.scope ?? 'SICHUAN_CHONGQING',
    stage: 'IN_TRANSFER',
    itemCode: '510000-00001',
    jurisdictionRegion: 'SICHUAN',
    item: { name: '水利工程质量检测单位乙级资质认定', legalName: '水利工程质量检测单位资质认定', department: '四川省水利厅', legalLimitDays: 20, promisedLimitDays: 10 },
    applicant: { kind: 'ORGANISATION', name: '重庆某某检测技术有限公司', idNumber: '91350100M000100Y43' },
    contact: { name: '赵工', phone: '13812345678' },
    delivery: { method: 'PICKUP', address: null },
    receivingWindowId: options.receivingWindowId ?? 'W-500000-01',
    jurisdictionWindowId: options.jurisdictionWindowId ?? 'W-510000-01',
    receivingDivisionCode: '500000',
    handler: '李四',
    materials: [
      { name: '水利工程质量检测单位资质申请表', form: 'ORIGINAL', copies: 1, verdict: 'QUALIFIED', opinion: null },
      { name: '营业执照（复印件）', form: 'COPY', copies: 1, verdict: 'QUALIFIED', opinion: null },
      { name: '计量认证证书', form: 'COPY', copies: 1, verdict: 'DEFICIENT', opinion: '已过有效期' },
    ],
    appliedAt: acceptedAt,
    acceptedAt,
    correction: null,
    transfer: {
      channel,
      dispatchedAt,
      onlineDueAt: channel === 'OFFLINE' ? null : '2025-11-25T23:59:59+08:00',
      paperDueAt: channel === 'ONLINE' ? null : (options.paperDueAt ?? '2025-11-26T23:59:59+08:00'),
      forwardedAt: null,
      paperSentAt: null,
      receivedAt: null,
    },
    platformCaseId: null,
    platformStage: null,
    decision: null,
    refusalReasons: [],
    result: null,
    clock: applyClockEvent(started, { type: 'PAUSE', at: dispatchedAt }),
    notices: [],
    evaluation: null,
    updatedAt: dispatchedAt,
  };
}

