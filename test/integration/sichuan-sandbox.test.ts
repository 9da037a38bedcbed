import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PlatformBadResponseError, PlatformRejectedError, PlatformUnavailableError, WebhookRejectedError } from '../../adapters/platform.errors.js';
import type { NonceStore, PlatformEvent, SubmitCaseRequest } from '../../adapters/platform.port.js';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { SichuanClient, verifySichuanWebhook, type SichuanClientOptions } from '../../adapters/sichuan/sichuan.client.js';
import { startSichuanSandbox, type SichuanSandbox } from '../../adapters/sichuan/sichuan.sandbox.js';

const APP_ID = 'tongban-it';
const SECRET = 'integration-secret-0123456789';
const REJECTED_ITEM = '513200-00048';

class MemoryNonceStore implements NonceStore {
  private readonly seen = new Set<string>();

  async claim(nonce: string): Promise<boolean> {
    if (this.seen.has(nonce)) return false;
    this.seen.add(nonce);
    return true;
  }
}

/** The receiving end of pushes, as tongban would run it: verify, then store. */
class WebhookReceiver {
  readonly events: PlatformEvent[] = [];
  readonly rejections: string[] = [];
  failWith: number | null = null;
  private readonly nonces = new MemoryNonceStore();
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (this.failWith !== null) {
          res.writeHead(this.failWith).end();
          return;
        }
        verifySichuanWebhook({ headers: req.headers, rawBody: Buffer.concat(chunks) }, { appId: APP_ID, appSecret: SECRET, nonceStore: this.nonces })
          .then((event) => {
            this.events.push(event);
            res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
          })
          .catch((error: unknown) => {
            this.rejections.push(error instanceof WebhookRejectedError ? error.reason : String(error));
            res.writeHead(401).end();
          });
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/sichuan`;
  }

  eventsOf(platformCaseId: string): PlatformEvent[] {
    return this.events.filter((event) => event.platformCaseId === platformCaseId);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let sandbox: SichuanSandbox;
const receiver = new WebhookReceiver();
let serial = 0;

function client(overrides: Partial<SichuanClientOptions> = {}): SichuanClient {
  return new SichuanClient({ baseUrl: sandbox.url, appId: APP_ID, appSecret: SECRET, timeoutMs: 2000, retries: 1, retryBaseMs: 10, ...overrides });
}

function submission(overrides: Partial<SubmitCaseRequest> = {}): SubmitCaseRequest {
  serial += 1;
  const businessNo = `CY2024052000${String(serial).padStart(2, '0')}`;
  return {
    idempotencyKey: `transfer:${businessNo}`,
    businessNo,
    itemCode: '510000-00001',
    applicant: { kind: 'ORGANISATION', name: '重庆某水利检测有限公司', idNumber: '91500000MA5U000000' },
    contact: { name: '张三', phone: '13800000000' },
    receivingWindowId: 'cq-500000-01',
    receivingDivisionCode: '500000',
    materials: [{ name: '水利工程质量检测单位乙级资质认定申请书', form: 'ORIGINAL', copies: 1 }],
    submittedAt: new Date().toISOString(),
    ...overrides,
  };
}

beforeAll(async () => {
  await receiver.start();
  sandbox = await startSichuanSandbox({
    port: 0,
    appId: APP_ID,
    appSecret: SECRET,
    webhookUrl: receiver.url,
    rejectItemCodes: [REJECTED_ITEM],
    seed: 7,
  });
});

afterAll(async () => {
  await sandbox?.close();
  await receiver.stop();
});

beforeEach(() => {
  sandbox.setFaults({});
  sandbox.resetCounts();
  receiver.failWith = null;
});

describe('catalog', () => {
  it('holds the 75 阿坝州 items of seed 004 and the provincial items of seeds 000 and 003', async () => {
    const page = await client().searchItems({ offset: 0, limit: 100 });
    expect(page.total).toBe(77);
    expect(page.items.filter((item) => item.divisionCode === '513200')).toHaveLength(75);
    expect(page.items.every((item) => item.sampleData && item.promisedLimitDays <= item.legalLimitDays)).toBe(true);
    expect(page.items).toEqual(SICHUAN_CATALOG);
  });

  it('searches by Chinese keyword and pages through the matches', async () => {
    const expected = SICHUAN_CATALOG.filter((item) => item.name.includes('律师') || item.legalName.includes('律师'));
    expect(expected.length).toBeGreaterThan(3);

    const first = await client().searchItems({ search: '律师', offset: 0, limit: 2 });
    const rest = await client().searchItems({ search: '律师', offset: 2, limit: 10 });
    expect(first.total).toBe(expected.length);
    expect([...first.items, ...rest.items].map((item) => item.code)).toEqual(expected.map((item) => item.code));

    const market = await client().searchItems({ search: '阿坝州市场监管局', offset: 0, limit: 50 });
    expect(market.total).toBe(23);
    const none = await client().searchItems({ search: '不存在的事项', offset: 0, limit: 10 });
    expect(none).toEqual({ items: [], total: 0 });
  });

  it('batch-gets items aligned with the input, one call per 100 codes', async () => {
    const unknown = Array.from({ length: 150 }, (_, i) => `513200-${String(i + 100).padStart(5, '0')}`);
    const codes = ['510000-00002', '513200-00075', '500000-00001', ...unknown, '513200-00001'];
    const items = await client().getItemsByCodes(codes);

    expect(items[0]).toMatchObject({ name: '矿业权登记', department: '四川省自然资源厅', scopes: ['SICHUAN_CHONGQING', 'IN_PROVINCE', 'CROSS_PROVINCE'] });
    expect(items[1]).toMatchObject({ name: '卫星电视广播地面接收设施安装服务许可', department: '阿坝州广电局', powerType: '行政许可' });
    expect(items[2]).toBeNull();
    expect(items.slice(3, -1).every((item) => item === null)).toBe(true);
    expect(items.at(-1)).toEqual(SICHUAN_CATALOG.find((item) => item.code === '513200-00001'));
    expect(sandbox.requestCounts()['/gateway/item/batchGet']).toBe(2);
  });
});

describe('case intake', () => {
  it('never reissues a case id after a restart: a new run of the sandbox gives its first case an id no earlier run gave', async () => {
    const ids: string[] = [];
    for (let run = 0; run < 3; run++) {
      const restarted = await startSichuanSandbox({ port: 0, appId: APP_ID, appSecret: SECRET });
      try {
        const c = new SichuanClient({ baseUrl: restarted.url, appId: APP_ID, appSecret: SECRET, timeoutMs: 2000, retries: 1, retryBaseMs: 10 });
        ids.push((await c.submitCase(submission())).platformCaseId, (await c.submitCase(submission())).platformCaseId);
      } finally {
        await restarted.close();
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('creates one case for two submissions with the same key, and refuses the key with other content', async () => {
    const request = submission();
    const first = await client().submitCase(request);
    const second = await client().submitCase(request);

    expect(second.platformCaseId).toBe(first.platformCaseId);
    expect(first).toMatchObject({ stage: 'SUBMITTED', businessNo: request.businessNo, region: 'SICHUAN', decision: null });
    expect(sandbox.cases().filter((c) => c.businessNo === request.businessNo)).toHaveLength(1);

    const conflict = await client()
      .submitCase({ ...request, contact: { name: '李四', phone: '13900000000' } })
      .catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(PlatformRejectedError);
    expect(conflict).toMatchObject({ platformCode: '300001' });
  });

  it('refuses an unknown item', async () => {
    await expect(client().submitCase(submission({ itemCode: '513200-00099' }))).rejects.toMatchObject({
      code: 'PLATFORM.SICHUAN_REJECTED',
      platformCode: '200001',
    });
  });
});

describe('authentication', () => {
  it('rejects a caller with the wrong secret', async () => {
    const error = await client({ appSecret: 'wrong-secret-0123456789' }).getItemsByCodes(['513200-00001']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformRejectedError);
    expect(error).toMatchObject({ code: 'PLATFORM.SICHUAN_REJECTED', platformCode: '100002' });
  });

  it('rejects an unknown appId', async () => {
    await expect(client({ appId: 'stranger' }).getItemsByCodes(['513200-00001'])).rejects.toMatchObject({ platformCode: '100005' });
  });

  it('rejects a reused nonce', async () => {
    const replaying = client({ nonce: () => 'replayednonce000000000001' });
    await expect(replaying.getItemsByCodes(['513200-00001'])).resolves.toHaveLength(1);
    await expect(replaying.getItemsByCodes(['513200-00001'])).rejects.toMatchObject({ platformCode: '100004' });
  });

  it('rejects a request stamped outside ±5 minutes', async () => {
    const late = client({ now: () => Date.now() - 6 * 60 * 1000 });
    await expect(late.getItemsByCodes(['513200-00001'])).rejects.toMatchObject({ platformCode: '100003' });
  });
});

describe('status progression and pushes', () => {
  it('walks a case through 受理 → 审核 → 决定 → 制证 → 盖章 → 出件, pushing each verified stage', async () => {
    const created = await client().submitCase(submission());
    const id = created.platformCaseId;
    const stages = [];
    for (let i = 0; i < 6; i++) {
      const [moved] = await sandbox.advance(id);
      expect(moved?.caseId).toBe(id);
      const [record] = await client().getCasesByIds([id]);
      stages.push(record!.stage);
    }
    expect(stages).toEqual(['ACCEPTED', 'REVIEWING', 'DECIDED', 'CERTIFICATE_MADE', 'SEALED', 'ISSUED']);
    expect(await sandbox.advance(id)).toEqual([]);

    const final = await client().getCase(id);
    expect(final).toMatchObject({ stage: 'ISSUED', decision: 'APPROVED', rejectReasons: [] });
    expect(final!.history.map((h) => h.stage)).toEqual(['SUBMITTED', ...stages]);
    expect(final!.history[3]).toMatchObject({ note: '准予许可决定' });

    const events = receiver.eventsOf(id);
    expect(events.map((e) => e.stage)).toEqual(stages);
    expect(events.every((e) => e.businessNo === created.businessNo && e.region === 'SICHUAN')).toBe(true);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(6);
    expect(receiver.rejections).toEqual([]);
  });

  it('ends a case of a refused item 不予受理, with reasons, in the record and the push', async () => {
    const created = await client().submitCase(submission({ itemCode: REJECTED_ITEM }));
    await sandbox.advance(created.platformCaseId);

    const record = await client().getCase(created.platformCaseId);
    expect(record).toMatchObject({ stage: 'REJECTED', decision: null });
    expect(record!.rejectReasons.length).toBeGreaterThan(0);
    const [event] = receiver.eventsOf(created.platformCaseId);
    expect(event).toMatchObject({ stage: 'REJECTED', reasons: record!.rejectReasons });
    expect(await sandbox.advance(created.platformCaseId)).toEqual([]);
  });

  it('retries a failing receiver a few times, then records the give-up', async () => {
    const created = await client().submitCase(submission());
    receiver.failWith = 500;
    await sandbox.advance(created.platformCaseId);

    const delivery = sandbox.webhookDeliveries().find((d) => d.caseId === created.platformCaseId);
    expect(delivery).toMatchObject({ status: 'SL', attempts: 3, delivered: false, gaveUp: true, lastError: 'HTTP 500' });
    expect(receiver.eventsOf(created.platformCaseId)).toEqual([]);
  });

  it('moves cases on its own every stepMs', async () => {
    const ticking = await startSichuanSandbox({ appId: APP_ID, appSecret: SECRET, stepMs: 20 });
    try {
      const c = new SichuanClient({ baseUrl: ticking.url, appId: APP_ID, appSecret: SECRET, timeoutMs: 2000 });
      const { platformCaseId } = await c.submitCase(submission());
      const deadline = Date.now() + 5000;
      let stage = 'SUBMITTED';
      while (stage !== 'ISSUED' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        stage = (await c.getCase(platformCaseId))!.stage;
      }
      expect(stage).toBe('ISSUED');
    } finally {
      await ticking.close();
    }
  });
});

describe('faults', () => {
  it('errorRate 1: unavailable after the read retries', async () => {
    sandbox.setFaults({ errorRate: 1 });
    const error = await client({ retries: 2 }).getItemsByCodes(['513200-00001']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect(sandbox.requestCounts()['/gateway/item/batchGet']).toBe(3);
  });

  it('errorRate 1 on submit: unavailable, one call, no case', async () => {
    sandbox.setFaults({ errorRate: 1 });
    const request = submission();
    await expect(client().submitCase(request)).rejects.toBeInstanceOf(PlatformUnavailableError);
    expect(sandbox.requestCounts()['/gateway/case/submit']).toBe(1);
    expect(sandbox.cases().some((c) => c.businessNo === request.businessNo)).toBe(false);
  });

  it('malformedRate 1: bad response', async () => {
    sandbox.setFaults({ malformedRate: 1 });
    await expect(client().searchItems({ offset: 0, limit: 5 })).rejects.toBeInstanceOf(PlatformBadResponseError);
  });

  it('timeoutRate 1: unavailable within the client timeout', async () => {
    sandbox.setFaults({ timeoutRate: 1 });
    const started = Date.now();
    await expect(client({ timeoutMs: 150, retries: 0 }).getCase('SC-none')).rejects.toBeInstanceOf(PlatformUnavailableError);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('latencyMs: slower, still correct', async () => {
    sandbox.setFaults({ latencyMs: 120 });
    const started = Date.now();
    await expect(client().getItemsByCodes(['513200-00003'])).resolves.toMatchObject([{ name: '教师资格认定' }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('rateLimitRate 1: unavailable carrying Retry-After', async () => {
    sandbox.setFaults({ rateLimitRate: 1, retryAfterSeconds: 30 });
    await expect(client().getCase('SC-none')).rejects.toMatchObject({ code: 'PLATFORM.SICHUAN_UNAVAILABLE', retryAfterMs: 30_000 });
  });

  it('a seeded fault sequence replays identically', async () => {
    const outcomes = async (seed: number) => {
      const flaky = await startSichuanSandbox({ appId: APP_ID, appSecret: SECRET, seed, faults: { errorRate: 0.5 } });
      try {
        const c = new SichuanClient({ baseUrl: flaky.url, appId: APP_ID, appSecret: SECRET, timeoutMs: 2000, retries: 0, circuitBreaker: { failureThreshold: 100, resetAfterMs: 1 } });
        const results: string[] = [];
        for (let i = 0; i < 12; i++) {
          results.push(await c.getCase('SC-none').then(() => 'ok', (e: { code: string }) => e.code));
        }
        return results;
      } finally {
        await flaky.close();
      }
    };
    const first = await outcomes(11);
    expect(first).toEqual(await outcomes(11));
    expect(new Set(first).size).toBe(2);
  });

  it('close() ends even with a request hanging on a timeout fault', async () => {
    const hanging = await startSichuanSandbox({ appId: APP_ID, appSecret: SECRET, faults: { timeoutRate: 1 } });
    const pending = new SichuanClient({ baseUrl: hanging.url, appId: APP_ID, appSecret: SECRET, timeoutMs: 20_000, retries: 0 })
      .getCase('SC-none')
      .catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await hanging.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(PlatformUnavailableError);
  });
});
