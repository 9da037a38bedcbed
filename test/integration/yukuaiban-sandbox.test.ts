import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failure } from '../support/client-test.kit.js';
import {
  PlatformBadResponseError,
  PlatformRejectedError,
  PlatformUnavailableError,
  WebhookRejectedError,
} from '../../adapters/platform.errors.js';
import type { NonceStore, PlatformEvent, PlatformStage, SubmitCaseRequest } from '../../adapters/platform.port.js';
import { verifyYukuaibanWebhook, YukuaibanClient, type YukuaibanClientOptions } from '../../adapters/yukuaiban/yukuaiban.client.js';
import { startYukuaibanSandbox, type YukuaibanSandbox } from '../../adapters/yukuaiban/yukuaiban.sandbox.js';
import { newYukuaibanNonce, signedYukuaibanHeaders } from '../../adapters/yukuaiban/yukuaiban.signature.js';
import { until } from '../support/until.kit.js';

const APP_KEY = 'tongban-it';
const SECRET = 'ykb-integration-secret';
const HOOK_PATH = '/hooks/yukuaiban';
const REFUSED_ITEM = '500000-00003';

class MemoryNonceStore implements NonceStore {
  private readonly seen = new Map<string, number>();
  async claim(nonce: string, ttlSeconds: number): Promise<boolean> {
    const expiresAt = this.seen.get(nonce);
    if (expiresAt !== undefined && expiresAt > Date.now()) return false;
    this.seen.set(nonce, Date.now() + ttlSeconds * 1000);
    return true;
  }
}

/** The receiving side as the gateway would run it: verify, then acknowledge; failures can be forced per case. */
interface Receiver {
  url: string;
  server: Server;
  events: PlatformEvent[];
  rejections: WebhookRejectedError[];
  /** Cases whose next N verified pushes are answered 500 after verification. */
  failNext: Map<string, number>;
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function startReceiver(): Promise<Receiver> {
  const nonceStore = new MemoryNonceStore();
  const receiver: Omit<Receiver, 'url' | 'server'> = { events: [], rejections: [], failNext: new Map() };
  const server = createServer(async (req, res) => {
    const rawBody = await readAll(req);
    try {
      const event = await verifyYukuaibanWebhook({ headers: req.headers, rawBody }, { appKey: APP_KEY, appSecret: SECRET, nonceStore, path: HOOK_PATH });
      const failures = receiver.failNext.get(event.platformCaseId) ?? 0;
      if (failures > 0) {
        receiver.failNext.set(event.platformCaseId, failures - 1);
        res.writeHead(500).end();
        return;
      }
      receiver.events.push(event);
      res.writeHead(204).end();
    } catch (error) {
      if (error instanceof WebhookRejectedError) receiver.rejections.push(error);
      res.writeHead(401).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { ...receiver, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let sandbox: YukuaibanSandbox;
let receiver: Receiver;
let client: YukuaibanClient;
let businessSeq = 0;

function newClient(overrides: Partial<YukuaibanClientOptions> = {}) {
  return new YukuaibanClient({ baseUrl: sandbox.url, appKey: APP_KEY, appSecret: SECRET, timeoutMs: 2_000, retries: 2, retryBaseMs: 5, ...overrides });
}

function request(overrides: Partial<SubmitCaseRequest> = {}): SubmitCaseRequest {
  businessSeq += 1;
  const businessNo = `CY20240501${String(businessSeq).padStart(5, '0')}`;
  return {
    idempotencyKey: `transfer:${businessNo}`,
    businessNo,
    itemCode: '500000-00018',
    applicant: { kind: 'ORGANISATION', name: '四川某某律师事务所', idNumber: '91510100MA61234567' },
    contact: { name: '张三', phone: '13800000000' },
    receivingWindowId: 'SC-510100-01',
    receivingDivisionCode: '510100',
    materials: [{ name: '律师事务所设立许可申请表', form: 'ORIGINAL', copies: 1 }],
    submittedAt: '2024-05-01T09:30:00+08:00',
    ...overrides,
  };
}

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await startYukuaibanSandbox({
    port: 0,
    appKey: APP_KEY,
    appSecret: SECRET,
    webhookUrl: `${receiver.url}${HOOK_PATH}`,
    webhookRetryDelayMs: 10,
    rejectItemCodes: [REFUSED_ITEM],
    rejectReasons: ['申请材料不符合法定形式'],
    seed: 7,
  });
  client = newClient();
});

afterEach(() => {
  sandbox.setFaults({});
  sandbox.resetCounts();
});

afterAll(async () => {
  await sandbox?.close();
  await new Promise<void>((resolve) => (receiver ? receiver.server.close(() => resolve()) : resolve()));
});

describe('catalog', () => {
  it('searches by Chinese keyword and pages through the matches without gaps or repeats', async () => {
    const first = await client.searchItems({ search: '律师', offset: 0, limit: 3 });
    expect(first.total).toBe(8);
    const names = [...first.items];
    for (let offset = 3; offset < first.total; offset += 3) {
      const page = await client.searchItems({ search: '律师', offset, limit: 3 });
      expect(page.total).toBe(8);
      names.push(...page.items);
    }
    expect(names.map((item) => item.code)).toEqual(['00016', '00017', '00018', '00019', '00022', '00026', '00028', '00029'].map((s) => `500000-${s}`));
    expect(names.every((item) => item.name.includes('律师') && item.department === '重庆市司法局')).toBe(true);
  });

  it('serves an unaligned window across two platform pages', async () => {
    const all = await client.searchItems({ search: '危险化学品', offset: 0, limit: 20 });
    expect(all.total).toBe(11);
    const window = await client.searchItems({ search: '危险化学品', offset: 4, limit: 5 });
    expect(window.items.map((item) => item.code)).toEqual(all.items.slice(4, 9).map((item) => item.code));
    expect(sandbox.requestCounts()['GET /api/v1/items']).toBe(3);
  });

  it('finds items by department and answers an empty search with the whole catalog total', async () => {
    expect((await client.searchItems({ search: '重庆市应急管理局', offset: 0, limit: 1 })).total).toBe(11);
    expect((await client.searchItems({ offset: 0, limit: 0 })).total).toBe(127);
  });

  it('batches items by code, aligned, null where unknown', async () => {
    const [water, unknown, first] = await client.getItemsByCodes(['500000-00127', '500000-99999', '500000-00001']);
    expect(water).toMatchObject({ name: '水利工程质量检测单位乙级资质认定', department: '重庆市水利局', scopes: ['SICHUAN_CHONGQING'], sampleData: true });
    expect(unknown).toBeNull();
    expect(first).toMatchObject({ name: '中小学生学籍管理', department: '重庆市教育委员会' });
  });

  it('uses one call per 200 codes', async () => {
    const codes = Array.from({ length: 450 }, (_, i) => `500000-${String(i + 1).padStart(5, '0')}`);
    const items = await client.getItemsByCodes(codes);
    expect(items.filter((item) => item !== null)).toHaveLength(127);
    expect(items[126]?.code).toBe('500000-00127');
    expect(items[127]).toBeNull();
    expect(sandbox.requestCounts()['POST /api/v1/items/batch']).toBe(3);
  });
});

describe('case intake', () => {
  it('never reissues a case id after a restart: a new run of the sandbox gives its first case an id no earlier run gave', async () => {
    const ids: string[] = [];
    for (let run = 0; run < 3; run++) {
      const restarted = await startYukuaibanSandbox({ appKey: APP_KEY, appSecret: SECRET });
      try {
        const c = new YukuaibanClient({ baseUrl: restarted.url, appKey: APP_KEY, appSecret: SECRET, timeoutMs: 2_000 });
        ids.push((await c.submitCase(request())).platformCaseId, (await c.submitCase(request())).platformCaseId);
      } finally {
        await restarted.close();
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('creates one case however often the same submission is repeated', async () => {
    const submission = request();
    const first = await client.submitCase(submission);
    const again = await client.submitCase(submission);
    expect(again.platformCaseId).toBe(first.platformCaseId);
    expect(first).toMatchObject({ stage: 'SUBMITTED', businessNo: submission.businessNo, region: 'CHONGQING' });
    expect(sandbox.cases().filter((record) => record.ywbh === submission.businessNo)).toHaveLength(1);
    expect(sandbox.requestCounts()['POST /api/v1/cases']).toBe(2);
  });

  it('takes the same key with the same content in another key order as the same submission', async () => {
    const reversed = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reversed)
        : value !== null && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).reverse().map(([key, inner]) => [key, reversed(inner)]))
          : value;
    const reordering: typeof fetch = (input, init) => {
      const body = JSON.stringify(reversed(JSON.parse(String(init!.body))));
      const url = new URL(String(input));
      const signed = signedYukuaibanHeaders({ appKey: APP_KEY, secret: SECRET, method: 'POST', pathWithQuery: url.pathname + url.search, body, now: Date.now(), nonce: newYukuaibanNonce() });
      return fetch(input, { ...init, body, headers: { ...(init!.headers as Record<string, string>), ...signed } });
    };
    const submission = request();
    const first = await client.submitCase(submission);
    const again = await newClient({ fetch: reordering }).submitCase(submission);
    expect(again.platformCaseId).toBe(first.platformCaseId);
    expect(sandbox.cases().filter((record) => record.ywbh === submission.businessNo)).toHaveLength(1);
  });

  it('refuses the same key with another body (40901) and a reused business number (40902)', async () => {
    const submission = request();
    await client.submitCase(submission);
    expect(await failure(client.submitCase({ ...submission, contact: { name: '李四', phone: '13900000000' } }))).toMatchObject({
      code: 'PLATFORM.CHONGQING_REJECTED',
      platformCode: '40901',
    });
    expect(await failure(client.submitCase({ ...submission, idempotencyKey: 'another-key' }))).toMatchObject({ platformCode: '40902' });
  });

  it('refuses an unknown item (40401)', async () => {
    expect(await failure(client.submitCase(request({ itemCode: '500000-99999' })))).toMatchObject({ platformCode: '40401' });
  });

  it('rejects a client with the wrong secret or app key', async () => {
    const wrongSecret = await failure(newClient({ appSecret: 'not-the-secret' }).searchItems({ offset: 0, limit: 5 }));
    expect(wrongSecret).toBeInstanceOf(PlatformRejectedError);
    expect(wrongSecret).toMatchObject({ code: 'PLATFORM.CHONGQING_REJECTED', platformCode: '40101' });
    expect(await failure(newClient({ appKey: 'stranger' }).getCasesByIds(['x']))).toMatchObject({ platformCode: '40104' });
    expect(sandbox.requestCounts()['GET /api/v1/items']).toBe(1);
  });

  it('rejects a clock more than five minutes off, and a replayed nonce', async () => {
    const skewed = newClient({ now: () => Date.now() - 6 * 60_000 });
    expect(await failure(skewed.searchItems({ offset: 0, limit: 5 }))).toMatchObject({ platformCode: '40102' });
    const fixedNonce = newClient({ nonce: () => 'always-the-same-nonce' });
    await fixedNonce.searchItems({ offset: 0, limit: 5 });
    expect(await failure(fixedNonce.searchItems({ offset: 0, limit: 5 }))).toMatchObject({ platformCode: '40103' });
  });
});

describe('stages and webhooks', () => {
  it('moves a case through 受理 → 审核 → 决定 → 制证 → 盖章 → 出件 and pushes each change, verified and in order', async () => {
    const created = await client.submitCase(request());
    const stages: PlatformStage[] = [];
    for (let step = 0; step < 6; step += 1) {
      expect(sandbox.advance(created.platformCaseId)).toHaveLength(1);
      stages.push((await client.getCase(created.platformCaseId))!.stage);
    }
    expect(stages).toEqual(['ACCEPTED', 'REVIEWING', 'DECIDED', 'CERTIFICATE_MADE', 'SEALED', 'ISSUED']);
    expect(sandbox.advance(created.platformCaseId)).toEqual([]);

    const [finished] = await client.getCasesByIds([created.platformCaseId]);
    expect(finished).toMatchObject({ stage: 'ISSUED', decision: 'APPROVED', rejectReasons: [] });
    expect(finished!.history.map((change) => change.stage)).toEqual(['SUBMITTED', ...stages]);

    await sandbox.webhooksSettled();
    const pushed = receiver.events.filter((event) => event.platformCaseId === created.platformCaseId);
    expect(pushed.map((event) => event.stage)).toEqual(stages);
    expect(new Set(pushed.map((event) => event.eventId)).size).toBe(6);
    expect(pushed.find((event) => event.stage === 'DECIDED')).toMatchObject({ decision: 'APPROVED', businessNo: created.businessNo });
    expect(receiver.rejections).toEqual([]);
  });

  it('refuses (不予受理) cases of the configured items, with reasons', async () => {
    const created = await client.submitCase(request({ itemCode: REFUSED_ITEM }));
    sandbox.advance(created.platformCaseId);
    expect(sandbox.advance(created.platformCaseId)).toEqual([]);
    expect(await client.getCase(created.platformCaseId)).toMatchObject({ stage: 'REJECTED', decision: null, rejectReasons: ['申请材料不符合法定形式'] });
    await sandbox.webhooksSettled();
    expect(receiver.events.find((event) => event.platformCaseId === created.platformCaseId)).toMatchObject({
      stage: 'REJECTED',
      reasons: ['申请材料不符合法定形式'],
    });
  });

  it('retries a push the receiver failed, signing the retry afresh so it passes the nonce check', async () => {
    const created = await client.submitCase(request());
    receiver.failNext.set(created.platformCaseId, 2);
    sandbox.advance(created.platformCaseId);
    await sandbox.webhooksSettled();
    const log = sandbox.webhookLog().filter((entry) => entry.platformCaseId === created.platformCaseId);
    expect(log.map((entry) => [entry.attempt, entry.outcome, entry.status])).toEqual([
      [1, 'FAILED', 500],
      [2, 'FAILED', 500],
      [3, 'DELIVERED', 204],
    ]);
    expect(receiver.events.filter((event) => event.platformCaseId === created.platformCaseId)).toHaveLength(1);
    expect(receiver.rejections).toEqual([]);
  });

  it('gives up after the configured attempts and says so in its log', async () => {
    const created = await client.submitCase(request());
    receiver.failNext.set(created.platformCaseId, 100);
    sandbox.advance(created.platformCaseId);
    await sandbox.webhooksSettled();
    const outcomes = sandbox.webhookLog().filter((entry) => entry.platformCaseId === created.platformCaseId).map((entry) => entry.outcome);
    expect(outcomes).toEqual(['FAILED', 'FAILED', 'FAILED', 'FAILED', 'GAVE_UP']);
    receiver.failNext.delete(created.platformCaseId);
  });

  it('progresses cases on its own when stepMs is set, and stops when closed', async () => {
    const timed = await startYukuaibanSandbox({ appKey: APP_KEY, appSecret: SECRET, stepMs: 5 });
    try {
      const timedClient = new YukuaibanClient({ baseUrl: timed.url, appKey: APP_KEY, appSecret: SECRET, timeoutMs: 2_000 });
      const created = await timedClient.submitCase(request());
      await until('the case issued', async () => (await timedClient.getCase(created.platformCaseId))?.stage === 'ISSUED');
    } finally {
      await timed.close();
    }
  });
});

describe('fault injection', () => {
  it('errorRate 1: reads retried, then UNAVAILABLE; an intake is tried once', async () => {
    sandbox.setFaults({ errorRate: 1 });
    const faulty = newClient();
    expect(await failure(faulty.searchItems({ offset: 0, limit: 5 }))).toBeInstanceOf(PlatformUnavailableError);
    expect(sandbox.requestCounts()['GET /api/v1/items']).toBe(3);
    expect(await failure(faulty.submitCase(request()))).toMatchObject({ code: 'PLATFORM.CHONGQING_UNAVAILABLE' });
    expect(sandbox.requestCounts()['POST /api/v1/cases']).toBe(1);
  });

  it('malformedRate 1: BAD_RESPONSE; an intake whose answer was garbled is recovered by resubmitting the same key', async () => {
    sandbox.setFaults({ malformedRate: 1 });
    expect(await failure(newClient().getItemsByCodes(['500000-00001']))).toBeInstanceOf(PlatformBadResponseError);
    const submission = request();
    expect(await failure(newClient().submitCase(submission))).toBeInstanceOf(PlatformBadResponseError);
    sandbox.setFaults({});
    const recovered = await newClient().submitCase(submission);
    expect(sandbox.cases().filter((record) => record.ywbh === submission.businessNo).map((record) => record.bjbh)).toEqual([recovered.platformCaseId]);
  });

  it('timeoutRate 1: the client gives up after its own timeout', async () => {
    sandbox.setFaults({ timeoutRate: 1 });
    const started = Date.now();
    const error = await failure(newClient({ timeoutMs: 100, retries: 0 }).getCasesByIds(['YKB1']));
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect((error as Error).message).toContain('超时');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('rateLimitRate 1: UNAVAILABLE with the Retry-After, not retried', async () => {
    sandbox.setFaults({ rateLimitRate: 1, retryAfterSeconds: 3 });
    const error = (await failure(newClient().searchItems({ offset: 0, limit: 5 }))) as PlatformUnavailableError;
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect(error.retryAfterMs).toBe(3_000);
    expect(sandbox.requestCounts()['GET /api/v1/items']).toBe(1);
  });

  it('latency delays answers without failing them', async () => {
    sandbox.setFaults({ latencyMs: 150 });
    const started = Date.now();
    await newClient().getItemsByCodes(['500000-00001']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('opens the client circuit after repeated unavailability', async () => {
    sandbox.setFaults({ errorRate: 1 });
    const guarded = newClient({ retries: 0, circuitBreaker: { failureThreshold: 2, resetAfterMs: 60_000 } });
    await failure(guarded.searchItems({ offset: 0, limit: 5 }));
    await failure(guarded.searchItems({ offset: 0, limit: 5 }));
    expect(guarded.circuitState).toBe('OPEN');
    expect(await failure(guarded.searchItems({ offset: 0, limit: 5 }))).toBeInstanceOf(PlatformUnavailableError);
    expect(sandbox.requestCounts()['GET /api/v1/items']).toBe(2);
  });

  it('draws faults from its seed: the same seed gives the same pattern', async () => {
    const pattern = async () => {
      const seeded = await startYukuaibanSandbox({ appKey: APP_KEY, appSecret: SECRET, seed: 42, faults: { errorRate: 0.5 } });
      try {
        const plain = new YukuaibanClient({ baseUrl: seeded.url, appKey: APP_KEY, appSecret: SECRET, timeoutMs: 2_000, retries: 0, circuitBreaker: { failureThreshold: 1_000 } });
        const outcomes: boolean[] = [];
        for (let i = 0; i < 24; i += 1) outcomes.push(await plain.getCasesByIds(['x']).then(() => true, () => false));
        return outcomes;
      } finally {
        await seeded.close();
      }
    };
    const first = await pattern();
    expect(await pattern()).toEqual(first);
    expect(first).toContain(true);
    expect(first).toContain(false);
  });

  it('closes promptly while a request hangs', async () => {
    const hanging = await startYukuaibanSandbox({ appKey: APP_KEY, appSecret: SECRET, faults: { timeoutRate: 1 } });
    const pending = new YukuaibanClient({ baseUrl: hanging.url, appKey: APP_KEY, appSecret: SECRET, timeoutMs: 30_000, retries: 0 }).searchItems({
      offset: 0,
      limit: 5,
    });
    await until('the items request', () => hanging.requestCounts()['GET /api/v1/items'] === 1);
    const started = Date.now();
    await hanging.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await failure(pending)).toBeInstanceOf(PlatformUnavailableError);
  });
});
