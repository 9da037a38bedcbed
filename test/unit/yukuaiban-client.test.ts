import { createHash, createHmac } from 'node:crypto';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { counted as countedReply, failure, offlineWithNock } from '../support/client-test.kit.js';
import { InputError } from '../../domain/errors.js';
import { regionOfItemCode } from '../../domain/region.js';
import { CircuitOpenError } from '../../adapters/circuit-breaker.js';
import {
  PlatformBadResponseError,
  PlatformRejectedError,
  PlatformUnavailableError,
  WebhookRejectedError,
} from '../../adapters/platform.errors.js';
import type { CatalogItem, InboundWebhook, NonceStore, SubmitCaseRequest } from '../../adapters/platform.port.js';
import { SEED_ITEMS } from '../../adapters/yukuaiban/catalog.data.js';
import { verifyYukuaibanWebhook, YukuaibanClient, type YukuaibanClientOptions } from '../../adapters/yukuaiban/yukuaiban.client.js';
import { buildCatalogItem, YUKUAIBAN_CATALOG } from '../../adapters/yukuaiban/yukuaiban.catalog.js';
import { itemFromWire, itemToWire } from '../../adapters/yukuaiban/yukuaiban.mapper.js';
import { signYukuaiban } from '../../adapters/yukuaiban/yukuaiban.signature.js';
import { ykbItemSchema } from '../../adapters/yukuaiban/yukuaiban.wire.js';

const BASE = 'https://ykb.test';
const APP_KEY = 'tongban-unit';
const SECRET = 'ykb-test-secret';
const T0 = 1714527000000; // 2024-05-01T09:30:00+08:00

/** Written independently of the adapter, so the adapter's signing is checked against the contract, not itself. */
function referenceSignature(secret: string, method: string, pathWithQuery: string, timestamp: string, nonce: string, body: string): string {
  const bodyHash = createHash('sha256').update(body, 'utf8').digest('hex');
  return createHmac('sha256', secret).update(`${method}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${bodyHash}`).digest('hex');
}

function envelope(data: unknown) {
  return { code: '0', msg: 'success', data };
}

const WIRE_ITEM = {
  sxbm: '500000-00018',
  sxmc: '律师事务所设立许可',
  fdsxmc: '律师事务所设立许可',
  zrdw: '重庆市司法局',
  xzqhdm: '500000',
  qllx: '01',
  fdsx: 20,
  cnsx: 10,
  cllb: [
    { clmc: '营业执照', clxs: '2', fs: 1, sfbx: '1' },
    { clmc: '律师事务所章程', clxs: '3', fs: 2, sfbx: '0' },
  ],
  tbfw: ['01', '02'],
};

const EXPECTED_ITEM: CatalogItem = {
  code: '500000-00018',
  region: 'CHONGQING',
  name: '律师事务所设立许可',
  legalName: '律师事务所设立许可',
  department: '重庆市司法局',
  divisionCode: '500000',
  powerType: '行政许可',
  legalLimitDays: 20,
  promisedLimitDays: 10,
  materials: [
    { name: '营业执照', form: 'COPY', copies: 1, required: true },
    { name: '律师事务所章程', form: 'ORIGINAL_AND_COPY', copies: 2, required: false },
  ],
  scopes: ['CROSS_DISTRICT', 'SICHUAN_CHONGQING'],
  sampleData: false,
  status: 'AVAILABLE',
  statusRemark: null,
};

function wireItem(code: string) {
  return { ...WIRE_ITEM, sxbm: code, sxmc: `事项 ${code}` };
}

const WIRE_CASE = {
  bjbh: 'YKB20240501000001',
  ywbh: 'CY2024050100001',
  sxbm: '500000-00018',
  zt: '04',
  jdjg: '1',
  byslyy: [],
  gxsj: '20240503100000',
  lsjl: [
    { zt: '01', sj: '20240501093000' },
    { zt: '02', sj: '20240501100000', bz: '已受理' },
    { zt: '03', sj: '20240502090000' },
    { zt: '04', sj: '20240503100000', bz: '准予许可' },
  ],
};

const REQUEST: SubmitCaseRequest = {
  idempotencyKey: 'transfer:CY2024050100001',
  businessNo: 'CY2024050100001',
  itemCode: '500000-00018',
  applicant: { kind: 'ORGANISATION', name: '四川某某律师事务所', idNumber: '91510100MA61234567' },
  contact: { name: '张三', phone: '13800000000' },
  receivingWindowId: 'SC-510100-01',
  receivingDivisionCode: '510100',
  materials: [
    { name: '律师事务所设立许可申请表', form: 'ORIGINAL', copies: 1 },
    { name: '营业执照', form: 'COPY', copies: 1, fileIds: ['F-001'] },
  ],
  submittedAt: '2024-05-01T09:30:00+08:00',
};

const SUBMITTED_CASE = { ...WIRE_CASE, zt: '01', jdjg: null, gxsj: '20240501093000', lsjl: [{ zt: '01', sj: '20240501093000' }] };

let clock = T0;
let nonceSeq = 0;

function makeClient(overrides: Partial<YukuaibanClientOptions> = {}) {
  return new YukuaibanClient({
    baseUrl: BASE,
    appKey: APP_KEY,
    appSecret: SECRET,
    timeoutMs: 500,
    retries: 2,
    retryBaseMs: 1,
    now: () => clock,
    nonce: () => `nonce-${String((nonceSeq += 1)).padStart(6, '0')}`,
    ...overrides,
  });
}

function counted(method: 'get' | 'post', path: string | RegExp, reply: () => [number, unknown, Record<string, string>?]) {
  return countedReply(nock(BASE).persist()[method](path).query(true), reply);
}

offlineWithNock(() => {
  clock = T0;
});

describe('signature', () => {
  const vector = {
    secret: SECRET,
    method: 'POST',
    pathWithQuery: '/api/v1/cases',
    timestamp: '1714527000000',
    nonce: '0123456789abcdef0123456789abcdef',
    body: '{"ywbh":"CY2024050100001"}',
  };

  it('matches the contract test vectors', () => {
    expect(signYukuaiban(vector)).toBe('59c3ba0e12a9df273f71a9a7d0737707d5a14fdad9c347ec9e7bbde53850f24b');
    expect(signYukuaiban(vector)).toBe(
      referenceSignature(vector.secret, vector.method, vector.pathWithQuery, vector.timestamp, vector.nonce, vector.body),
    );
    const get = { ...vector, method: 'GET', pathWithQuery: '/api/v1/items?keyword=%E5%BE%8B%E5%B8%88&page=1&size=20', body: '' };
    expect(signYukuaiban(get)).toBe('e82efb9627b143e84b265e8720227f4492ad0dc49a0aa6ee27ed69157afa5d9c');
  });

  it('changes with every signed part', () => {
    const base = signYukuaiban(vector);
    expect(signYukuaiban({ ...vector, method: 'GET' })).not.toBe(base);
    expect(signYukuaiban({ ...vector, pathWithQuery: '/api/v1/cases?x=1' })).not.toBe(base);
    expect(signYukuaiban({ ...vector, timestamp: '1714527000001' })).not.toBe(base);
    expect(signYukuaiban({ ...vector, nonce: 'ffffffffffffffffffffffffffffffff' })).not.toBe(base);
    expect(signYukuaiban({ ...vector, body: '{"ywbh":"CY2024050100002"}' })).not.toBe(base);
    expect(signYukuaiban({ ...vector, secret: 'other' })).not.toBe(base);
  });

  it('signs a GET over the encoded path and query and an empty body', async () => {
    let seen: { path: string; headers: Record<string, string> } | undefined;
    nock(BASE)
      .get('/api/v1/items')
      .query(true)
      .reply(function (uri) {
        seen = { path: uri, headers: this.req.headers };
        return [200, envelope({ list: [], total: 0, page: 1, size: 20 })];
      });
    await makeClient().searchItems({ search: ' 律师 ', offset: 0, limit: 20 });
    expect(seen!.path).toBe('/api/v1/items?keyword=%E5%BE%8B%E5%B8%88&page=1&size=20');
    expect(seen!.headers['x-ykb-appkey']).toBe(APP_KEY);
    expect(seen!.headers['x-ykb-timestamp']).toBe(String(T0));
    expect(seen!.headers['x-ykb-nonce']).toBe('nonce-000001');
    expect(seen!.headers['x-ykb-signature']).toBe(referenceSignature(SECRET, 'GET', seen!.path, String(T0), 'nonce-000001', ''));
  });

  it('signs a POST over the exact bytes sent, including a base-path prefix', async () => {
    const sent: { url: string; body: string; headers: Record<string, string> }[] = [];
    const spy: typeof fetch = (input, init) => {
      sent.push({ url: String(input), body: String(init?.body), headers: init?.headers as Record<string, string> });
      return fetch(input, init);
    };
    nock(BASE).post('/gateway/api/v1/items/batch').reply(200, envelope({ list: [] }));
    await makeClient({ baseUrl: `${BASE}/gateway/`, fetch: spy }).getItemsByCodes(['500000-00001']);
    expect(sent).toHaveLength(1);
    const [request] = sent;
    expect(request!.url).toBe(`${BASE}/gateway/api/v1/items/batch`);
    expect(request!.body).toBe('{"sxbmList":["500000-00001"]}');
    expect(request!.headers['x-ykb-signature']).toBe(
      referenceSignature(SECRET, 'POST', '/gateway/api/v1/items/batch', String(T0), request!.headers['x-ykb-nonce']!, request!.body),
    );
  });
});

describe('normalisation', () => {
  it('maps a wire item to the port model', async () => {
    nock(BASE).post('/api/v1/items/batch').reply(200, envelope({ list: [WIRE_ITEM] }));
    expect(await makeClient().getItemsByCodes(['500000-00018'])).toEqual([EXPECTED_ITEM]);
  });

  it('maps 事项状态 (sxzt) and 备注 (bz); an item without them is open', async () => {
    nock(BASE).post('/api/v1/items/batch').reply(200, envelope({ list: [{ ...WIRE_ITEM, sxzt: '2', bz: '暂停' }] }));
    expect(await makeClient().getItemsByCodes(['500000-00018'])).toEqual([{ ...EXPECTED_ITEM, status: 'SUSPENDED', statusRemark: '暂停' }]);
  });

  it('maps a wire case with Beijing times to ISO UTC, decision and history', async () => {
    nock(BASE).get('/api/v1/cases/YKB20240501000001').reply(200, envelope(WIRE_CASE));
    expect(await makeClient().getCase('YKB20240501000001')).toEqual({
      platformCaseId: 'YKB20240501000001',
      region: 'CHONGQING',
      businessNo: 'CY2024050100001',
      itemCode: '500000-00018',
      stage: 'DECIDED',
      decision: 'APPROVED',
      rejectReasons: [],
      updatedAt: '2024-05-03T02:00:00.000Z',
      history: [
        { stage: 'SUBMITTED', at: '2024-05-01T01:30:00.000Z' },
        { stage: 'ACCEPTED', at: '2024-05-01T02:00:00.000Z', note: '已受理' },
        { stage: 'REVIEWING', at: '2024-05-02T01:00:00.000Z' },
        { stage: 'DECIDED', at: '2024-05-03T02:00:00.000Z', note: '准予许可' },
      ],
      certificate: null,
    });
  });

  it('maps 不予受理 with its reasons', async () => {
    const refused = { ...WIRE_CASE, zt: '09', jdjg: null, byslyy: ['材料不符合法定形式'], lsjl: [{ zt: '01', sj: '20240501093000' }, { zt: '09', sj: '20240502093000', bz: '材料不符合法定形式' }] };
    nock(BASE).post('/api/v1/cases/batch').reply(200, envelope({ list: [refused] }));
    const [record] = await makeClient().getCasesByIds(['YKB20240501000001']);
    expect(record).toMatchObject({ stage: 'REJECTED', decision: null, rejectReasons: ['材料不符合法定形式'] });
  });

  it('returns null for a case the platform does not know', async () => {
    nock(BASE).get('/api/v1/cases/YKB-UNKNOWN').reply(404, { code: '40402', msg: '办件不存在' });
    expect(await makeClient().getCase('YKB-UNKNOWN')).toBeNull();
  });

  it('sends the intake in 渝快办 field names with the time in Beijing time', async () => {
    let body: unknown;
    nock(BASE)
      .post('/api/v1/cases', (b) => {
        body = b;
        return true;
      })
      .reply(201, envelope(SUBMITTED_CASE));
    const record = await makeClient().submitCase(REQUEST);
    expect(body).toEqual({
      ywbh: 'CY2024050100001',
      sxbm: '500000-00018',
      sqr: { sqrlx: '2', sqrmc: '四川某某律师事务所', zjhm: '91510100MA61234567' },
      lxr: { lxrxm: '张三', lxdh: '13800000000' },
      sjckbm: 'SC-510100-01',
      sjqhdm: '510100',
      clqd: [
        { clmc: '律师事务所设立许可申请表', clxs: '1', fs: 1 },
        { clmc: '营业执照', clxs: '2', fs: 1, dzwjbh: ['F-001'] },
      ],
      sqsj: '20240501093000',
    });
    expect(record).toMatchObject({ platformCaseId: 'YKB20240501000001', stage: 'SUBMITTED', businessNo: 'CY2024050100001' });
  });

  it('refuses an unparseable submission time before calling', async () => {
    await expect(makeClient().submitCase({ ...REQUEST, submittedAt: 'yesterday' })).rejects.toBeInstanceOf(InputError);
  });
});

describe('search paging', () => {
  it('maps an aligned window to one page', async () => {
    let path = '';
    nock(BASE)
      .get('/api/v1/items')
      .query(true)
      .reply(function (uri) {
        path = uri;
        return [200, envelope({ list: [WIRE_ITEM], total: 41, page: 3, size: 20 })];
      });
    const page = await makeClient().searchItems({ offset: 40, limit: 20 });
    expect(path).toBe('/api/v1/items?page=3&size=20');
    expect(page).toEqual({ items: [EXPECTED_ITEM], total: 41 });
  });

  it('stitches an unaligned window from two pages', async () => {
    const codes = Array.from({ length: 25 }, (_, i) => `500000-${String(i + 1).padStart(5, '0')}`);
    nock(BASE)
      .get('/api/v1/items')
      .query({ page: '1', size: '10' })
      .reply(200, envelope({ list: codes.slice(0, 10).map(wireItem), total: 25, page: 1, size: 10 }))
      .get('/api/v1/items')
      .query({ page: '2', size: '10' })
      .reply(200, envelope({ list: codes.slice(10, 20).map(wireItem), total: 25, page: 2, size: 10 }));
    const page = await makeClient().searchItems({ offset: 5, limit: 10 });
    expect(page.total).toBe(25);
    expect(page.items.map((item) => item.code)).toEqual(codes.slice(5, 15));
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('asks only for the total when limit is 0', async () => {
    nock(BASE).get('/api/v1/items').query({ page: '1', size: '1' }).reply(200, envelope({ list: [WIRE_ITEM], total: 127, page: 1, size: 1 }));
    expect(await makeClient().searchItems({ offset: 0, limit: 0 })).toEqual({ items: [], total: 127 });
  });

  it('refuses negative or fractional paging without calling', async () => {
    await expect(makeClient().searchItems({ offset: -1, limit: 10 })).rejects.toBeInstanceOf(InputError);
    await expect(makeClient().searchItems({ offset: 0, limit: 1.5 })).rejects.toBeInstanceOf(InputError);
  });

  it('refuses a keyword longer than the platform accepts without calling', async () => {
    await expect(makeClient().searchItems({ search: '律'.repeat(51), offset: 0, limit: 10 })).rejects.toMatchObject({ code: 'INPUT.SEARCH_TOO_LONG' });
  });
});

describe('error mapping', () => {
  it('5xx on a read: retried, then PLATFORM.CHONGQING_UNAVAILABLE', async () => {
    const calls = counted('get', '/api/v1/items', () => [503, { code: '50300', msg: '维护中' }]);
    const error = await failure(makeClient({ retries: 2 }).searchItems({ offset: 0, limit: 10 }));
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect(error).toMatchObject({ code: 'PLATFORM.CHONGQING_UNAVAILABLE', retryable: true });
    expect(calls.count).toBe(3);
  });

  it('a read that fails once then succeeds returns the data', async () => {
    let n = 0;
    const calls = counted('post', '/api/v1/items/batch', () =>
      (n += 1) === 1 ? [500, { code: '50000', msg: '内部错误' }] : [200, envelope({ list: [WIRE_ITEM] })],
    );
    expect(await makeClient().getItemsByCodes(['500000-00018'])).toEqual([EXPECTED_ITEM]);
    expect(calls.count).toBe(2);
  });

  it('4xx with a business code: PLATFORM.CHONGQING_REJECTED, not retried', async () => {
    const calls = counted('get', '/api/v1/items', () => [400, { code: '40001', msg: 'size 超出范围' }]);
    const error = await failure(makeClient().searchItems({ offset: 0, limit: 10 }));
    expect(error).toBeInstanceOf(PlatformRejectedError);
    expect(error).toMatchObject({ code: 'PLATFORM.CHONGQING_REJECTED', platformCode: '40001', retryable: false });
    expect(calls.count).toBe(1);
  });

  it('a non-"0" business code in a 200: REJECTED with that code', async () => {
    const calls = counted('post', '/api/v1/cases/batch', () => [200, { code: '40101', msg: '签名错误' }]);
    expect(await failure(makeClient().getCasesByIds(['YKB1']))).toMatchObject({ code: 'PLATFORM.CHONGQING_REJECTED', platformCode: '40101' });
    expect(calls.count).toBe(1);
  });

  it('a 5xxxx business code in a 200 is unavailability, not rejection', async () => {
    counted('post', '/api/v1/cases/batch', () => [200, { code: '50000', msg: '内部错误' }]);
    expect(await failure(makeClient({ retries: 0 }).getCasesByIds(['YKB1']))).toBeInstanceOf(PlatformUnavailableError);
  });

  it('a 4xx without an envelope: REJECTED with HTTP_<status>', async () => {
    counted('get', '/api/v1/items', () => [403, '<html>forbidden</html>', { 'content-type': 'text/html' }]);
    expect(await failure(makeClient().searchItems({ offset: 0, limit: 10 }))).toMatchObject({ platformCode: 'HTTP_403' });
  });

  it('truncated JSON: PLATFORM.CHONGQING_BAD_RESPONSE, not retried', async () => {
    const calls = counted('get', '/api/v1/items', () => [200, '{"code":"0","msg":"success","data":{"li']);
    const error = await failure(makeClient().searchItems({ offset: 0, limit: 10 }));
    expect(error).toBeInstanceOf(PlatformBadResponseError);
    expect(error).toMatchObject({ code: 'PLATFORM.CHONGQING_BAD_RESPONSE' });
    expect(calls.count).toBe(1);
  });

  it.each([
    ['not the envelope', { status: 'ok', result: [] }],
    ['data missing fields', envelope({ list: [{ ...WIRE_ITEM, sxmc: undefined }] })],
    ['unknown power type code', envelope({ list: [{ ...WIRE_ITEM, qllx: '99' }] })],
    ['limit not an integer', envelope({ list: [{ ...WIRE_ITEM, fdsx: '20' }] })],
    ['an item nobody asked for', envelope({ list: [wireItem('500000-00099')] })],
  ])('BAD_RESPONSE for %s', async (_label, body) => {
    nock(BASE).post('/api/v1/items/batch').reply(200, body);
    expect(await failure(makeClient().getItemsByCodes(['500000-00018']))).toBeInstanceOf(PlatformBadResponseError);
  });

  it.each([
    ['an unknown status code', { ...WIRE_CASE, zt: '08' }],
    ['an impossible date', { ...WIRE_CASE, gxsj: '20240230100000' }],
    ['an ISO time instead of yyyyMMddHHmmss', { ...WIRE_CASE, gxsj: '2024-05-03T10:00:00+08:00' }],
    ['an empty history', { ...WIRE_CASE, lsjl: [] }],
  ])('BAD_RESPONSE for a case with %s', async (_label, wire) => {
    nock(BASE).post('/api/v1/cases/batch').reply(200, envelope({ list: [wire] }));
    expect(await failure(makeClient().getCasesByIds(['YKB20240501000001']))).toBeInstanceOf(PlatformBadResponseError);
  });

  it('a redirect is outside the contract: BAD_RESPONSE', async () => {
    nock(BASE).get('/api/v1/cases/YKB1').reply(302, '', { location: 'https://elsewhere.test/' });
    expect(await failure(makeClient().getCase('YKB1'))).toBeInstanceOf(PlatformBadResponseError);
  });

  it('timeout: UNAVAILABLE, reads retried', async () => {
    nock(BASE).get('/api/v1/items').query(true).times(2).delay(1_000).reply(200, envelope({ list: [], total: 0, page: 1, size: 10 }));
    const started = Date.now();
    const error = await failure(makeClient({ timeoutMs: 50, retries: 1 }).searchItems({ offset: 0, limit: 10 }));
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect((error as Error).message).toContain('超时');
    expect(Date.now() - started).toBeLessThan(900);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('network failure: UNAVAILABLE', async () => {
    nock(BASE).post('/api/v1/cases/batch').replyWithError('ECONNRESET');
    const error = await failure(makeClient({ retries: 0 }).getCasesByIds(['YKB1']));
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect((error as Error).message).toContain('ECONNRESET');
  });

  it('429: UNAVAILABLE carrying Retry-After seconds, not retried against the platform’s wish', async () => {
    const calls = counted('get', '/api/v1/items', () => [429, { code: '42900', msg: '请求过于频繁' }, { 'retry-after': '7' }]);
    const error = await failure(makeClient().searchItems({ offset: 0, limit: 10 }));
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect((error as PlatformUnavailableError).retryAfterMs).toBe(7_000);
    expect(calls.count).toBe(1);
  });

  it('429 with an HTTP-date Retry-After', async () => {
    counted('get', '/api/v1/items', () => [429, { code: '42900', msg: '请求过于频繁' }, { 'retry-after': new Date(T0 + 90_000).toUTCString() }]);
    const error = (await failure(makeClient().searchItems({ offset: 0, limit: 10 }))) as PlatformUnavailableError;
    expect(error.retryAfterMs).toBe(90_000);
  });
});

describe('case intake', () => {
  it('is never retried by the client, whatever the failure', async () => {
    const calls = counted('post', '/api/v1/cases', () => [503, { code: '50300', msg: '维护中' }]);
    expect(await failure(makeClient({ retries: 5 }).submitCase(REQUEST))).toBeInstanceOf(PlatformUnavailableError);
    expect(calls.count).toBe(1);
  });

  it('is not retried after a timeout either', async () => {
    nock(BASE).post('/api/v1/cases').delay(1_000).reply(201, envelope(SUBMITTED_CASE));
    expect(await failure(makeClient({ timeoutMs: 50, retries: 5 }).submitCase(REQUEST))).toBeInstanceOf(PlatformUnavailableError);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('sends the idempotency key, and a resubmission sends the same key and the same bytes', async () => {
    const seen: { key: string; body: string }[] = [];
    const spy: typeof fetch = (input, init) => {
      seen.push({ key: (init?.headers as Record<string, string>)['x-ykb-idempotency-key']!, body: String(init?.body) });
      return fetch(input, init);
    };
    nock(BASE).post('/api/v1/cases').reply(201, envelope(SUBMITTED_CASE)).post('/api/v1/cases').reply(200, envelope(SUBMITTED_CASE));
    const client = makeClient({ fetch: spy });
    const first = await client.submitCase(REQUEST);
    const again = await client.submitCase({ ...REQUEST });
    expect(seen.map((s) => s.key)).toEqual([REQUEST.idempotencyKey, REQUEST.idempotencyKey]);
    expect(seen[1]!.body).toBe(seen[0]!.body);
    expect(again).toEqual(first);
  });

  it('surfaces an idempotency conflict as REJECTED 40901', async () => {
    nock(BASE).post('/api/v1/cases').reply(409, { code: '40901', msg: '幂等键已用于另一请求体' });
    expect(await failure(makeClient().submitCase(REQUEST))).toMatchObject({ platformCode: '40901' });
  });

  it('refuses a key that cannot travel in a header, without calling', async () => {
    await expect(makeClient().submitCase({ ...REQUEST, idempotencyKey: 'line\nbreak' })).rejects.toBeInstanceOf(InputError);
    await expect(makeClient().submitCase({ ...REQUEST, idempotencyKey: '' })).rejects.toBeInstanceOf(InputError);
  });

  it('treats a case for another business number as a bad response', async () => {
    nock(BASE).post('/api/v1/cases').reply(201, envelope({ ...SUBMITTED_CASE, ywbh: 'CY-SOMEONE-ELSE' }));
    expect(await failure(makeClient().submitCase(REQUEST))).toBeInstanceOf(PlatformBadResponseError);
  });
});

describe('circuit breaker', () => {
  it('opens after N unavailable calls, fails fast, half-opens after the reset and closes on a good probe', async () => {
    let healthy = false;
    const calls = counted('get', '/api/v1/items', () =>
      healthy ? [200, envelope({ list: [], total: 0, page: 1, size: 10 })] : [503, { code: '50300', msg: '维护中' }],
    );
    const client = makeClient({ retries: 0, circuitBreaker: { failureThreshold: 3, resetAfterMs: 10_000 } });
    const query = { offset: 0, limit: 10 };
    for (let i = 0; i < 3; i += 1) expect(await failure(client.searchItems(query))).toBeInstanceOf(PlatformUnavailableError);
    expect(client.circuitState).toBe('OPEN');

    clock += 4_000;
    const fast = (await failure(client.searchItems(query))) as PlatformUnavailableError;
    expect(fast).toBeInstanceOf(PlatformUnavailableError);
    expect(fast.cause).toBeInstanceOf(CircuitOpenError);
    expect(fast.retryAfterMs).toBe(6_000);
    expect(calls.count).toBe(3);

    clock += 6_000;
    expect(client.circuitState).toBe('HALF_OPEN');
    expect(await failure(client.searchItems(query))).toBeInstanceOf(PlatformUnavailableError);
    expect(calls.count).toBe(4);
    expect(client.circuitState).toBe('OPEN');

    clock += 10_000;
    healthy = true;
    await expect(client.searchItems(query)).resolves.toEqual({ items: [], total: 0 });
    expect(client.circuitState).toBe('CLOSED');
    expect(calls.count).toBe(5);
  });

  it('does not count rejections or bad responses as failures', async () => {
    let n = 0;
    counted('get', '/api/v1/items', () => ((n += 1) % 2 ? [400, { code: '40001', msg: '参数错误' }] : [200, '{"truncated']));
    const client = makeClient({ retries: 0, circuitBreaker: { failureThreshold: 2, resetAfterMs: 10_000 } });
    for (let i = 0; i < 6; i += 1) await failure(client.searchItems({ offset: 0, limit: 10 }));
    expect(client.circuitState).toBe('CLOSED');
  });

  it('stops retrying a read once the circuit opens mid-way', async () => {
    const calls = counted('post', '/api/v1/cases/batch', () => [500, { code: '50000', msg: '内部错误' }]);
    const client = makeClient({ retries: 5, circuitBreaker: { failureThreshold: 2, resetAfterMs: 10_000 } });
    const error = (await failure(client.getCasesByIds(['YKB1']))) as PlatformUnavailableError;
    expect(error.cause).toBeInstanceOf(CircuitOpenError);
    expect(calls.count).toBe(2);
  });
});

describe('batching', () => {
  it('splits 450 codes into 3 calls of ≤ 200 and aligns the results with the input', async () => {
    const codes = Array.from({ length: 450 }, (_, i) => `500000-${String(i + 1).padStart(5, '0')}`);
    const chunks: string[][] = [];
    nock(BASE)
      .persist()
      .post('/api/v1/items/batch')
      .reply((_uri, body) => {
        const asked = (body as { sxbmList: string[] }).sxbmList;
        chunks.push(asked);
        // Only odd serials exist; answers come back in reverse to prove alignment is by code, not position.
        const known = asked.filter((code) => Number(code.slice(-5)) % 2 === 1).reverse();
        return [200, envelope({ list: known.map(wireItem) })];
      });
    const input = [...codes, '500000-00001'];
    const result = await makeClient().getItemsByCodes(input);
    expect(chunks.map((chunk) => chunk.length).sort((a, b) => b - a)).toEqual([200, 200, 50]);
    expect(new Set(chunks.flat()).size).toBe(450);
    expect(result).toHaveLength(451);
    input.forEach((code, i) => {
      if (Number(code.slice(-5)) % 2 === 1) expect(result[i]?.code).toBe(code);
      else expect(result[i]).toBeNull();
    });
  });

  it('aligns cases by id with null for unknown ones', async () => {
    nock(BASE).post('/api/v1/cases/batch', { bjbhList: ['YKB-NONE', 'YKB20240501000001'] }).reply(200, envelope({ list: [WIRE_CASE] }));
    const result = await makeClient().getCasesByIds(['YKB-NONE', 'YKB20240501000001', 'YKB-NONE']);
    expect(result.map((record) => record?.platformCaseId ?? null)).toEqual([null, 'YKB20240501000001', null]);
  });

  it('makes no call for an empty batch', async () => {
    expect(await makeClient().getItemsByCodes([])).toEqual([]);
    expect(await makeClient().getCasesByIds([])).toEqual([]);
  });

  it('fails the whole batch when one chunk fails', async () => {
    let n = 0;
    counted('post', '/api/v1/items/batch', () => ((n += 1) === 2 ? [400, { code: '40001', msg: '参数错误' }] : [200, envelope({ list: [] })]));
    const codes = Array.from({ length: 401 }, (_, i) => `500000-${String(i + 1).padStart(5, '0')}`);
    expect(await failure(makeClient().getItemsByCodes(codes))).toBeInstanceOf(PlatformRejectedError);
  });
});

describe('webhook verification', () => {
  const PATH = '/hooks/ykb?tenant=cq';
  const EVENT = {
    tsbh: 'YKBE000000000001',
    bjbh: 'YKB20240501000001',
    ywbh: 'CY2024050100001',
    sxbm: '500000-00018',
    zt: '04',
    jdjg: '1',
    byslyy: [],
    bgsj: '20240503100000',
  };

  function memoryNonceStore() {
    const seen = new Map<string, number>();
    const store: NonceStore & { claims: number } = {
      claims: 0,
      async claim(nonce, ttlSeconds) {
        store.claims += 1;
        const expiresAt = seen.get(nonce);
        if (expiresAt !== undefined && expiresAt > clock) return false;
        seen.set(nonce, clock + ttlSeconds * 1000);
        return true;
      },
    };
    return store;
  }

  function push(opts: { body?: string; timestamp?: number; nonce?: string; secret?: string; path?: string; appKey?: string | null } = {}) {
    const body = opts.body ?? JSON.stringify(EVENT);
    const timestamp = String(opts.timestamp ?? clock);
    const nonce = opts.nonce ?? '5f1e0c2a9b8d4e6f8a7b6c5d4e3f2a1b';
    return {
      headers: {
        ...(opts.appKey === null ? {} : { 'X-Ykb-AppKey': opts.appKey ?? APP_KEY }),
        'X-Ykb-Timestamp': timestamp,
        'X-Ykb-Nonce': nonce,
        'X-Ykb-Signature': referenceSignature(opts.secret ?? SECRET, 'POST', opts.path ?? PATH, timestamp, nonce, body),
      },
      rawBody: Buffer.from(body, 'utf8'),
    };
  }

  const verify = (webhook: InboundWebhook, nonceStore: NonceStore) =>
    verifyYukuaibanWebhook(webhook, { appKey: APP_KEY, appSecret: SECRET, nonceStore, now: () => clock, path: PATH });

  it('refuses a push for another app, or naming none, without claiming its nonce', async () => {
    const store = memoryNonceStore();
    for (const appKey of ['other-app', null]) {
      await expect(verify(push({ appKey }), store)).rejects.toMatchObject({ code: 'WEBHOOK.UNKNOWN_SENDER' });
    }
    expect(store.claims).toBe(0);
  });

  it('accepts a valid push and normalises it', async () => {
    const store = memoryNonceStore();
    expect(await verify(push(), store)).toEqual({
      eventId: 'YKBE000000000001',
      region: 'CHONGQING',
      platformCaseId: 'YKB20240501000001',
      businessNo: 'CY2024050100001',
      stage: 'DECIDED',
      decision: 'APPROVED',
      reasons: [],
      at: '2024-05-03T02:00:00.000Z',
    });
    expect(store.claims).toBe(1);
  });

  it.each([
    ['a wrong secret', push({ secret: 'not-the-secret' })],
    ['another path', push({ path: '/hooks/other' })],
    ['a tampered body', { ...push(), rawBody: Buffer.from(JSON.stringify({ ...EVENT, zt: '07' })) }],
    ['a truncated signature', { ...push(), headers: { ...push().headers, 'X-Ykb-Signature': 'abc123' } }],
  ])('rejects %s as BAD_SIGNATURE without touching the nonce store', async (_label, webhook) => {
    const store = memoryNonceStore();
    const error = await failure(verify(webhook, store));
    expect(error).toBeInstanceOf(WebhookRejectedError);
    expect(error).toMatchObject({ reason: 'BAD_SIGNATURE', code: 'WEBHOOK.BAD_SIGNATURE' });
    expect(store.claims).toBe(0);
  });

  it('rejects a timestamp more than 5 minutes off as STALE_TIMESTAMP, either way', async () => {
    const store = memoryNonceStore();
    expect(await failure(verify(push({ timestamp: clock - 300_001 }), store))).toMatchObject({ reason: 'STALE_TIMESTAMP' });
    expect(await failure(verify(push({ timestamp: clock + 300_001 }), store))).toMatchObject({ reason: 'STALE_TIMESTAMP' });
    await expect(verify(push({ timestamp: clock - 299_000 }), store)).resolves.toMatchObject({ eventId: 'YKBE000000000001' });
    expect(store.claims).toBe(1);
  });

  it('rejects the same push a second time as REPLAYED', async () => {
    const store = memoryNonceStore();
    const webhook = push();
    await verify(webhook, store);
    clock += 1_000;
    expect(await failure(verify(webhook, store))).toMatchObject({ reason: 'REPLAYED' });
  });

  it('rejects a signed push whose body is not the contract as MALFORMED, before claiming the nonce', async () => {
    const store = memoryNonceStore();
    expect(await failure(verify(push({ body: '{"tsbh":' }), store))).toMatchObject({ reason: 'MALFORMED' });
    expect(await failure(verify(push({ body: JSON.stringify({ ...EVENT, zt: '08' }) }), store))).toMatchObject({ reason: 'MALFORMED' });
    expect(store.claims).toBe(0);
  });

  it('rejects missing authentication headers as MALFORMED', async () => {
    const store = memoryNonceStore();
    expect(await failure(verify({ headers: {}, rawBody: Buffer.from('{}') }, store))).toMatchObject({ reason: 'MALFORMED' });
  });
});

describe('catalog (seed 001 + seed 000)', () => {
  it('has the 126 items of the third batch plus the 川渝通办 水利 item, serials 1–127 without gaps', () => {
    expect(SEED_ITEMS).toHaveLength(127);
    expect(SEED_ITEMS.map((item) => item.serial)).toEqual(Array.from({ length: 127 }, (_, i) => i + 1));
    expect(new Set(YUKUAIBAN_CATALOG.map((item) => item.code)).size).toBe(127);
    expect(YUKUAIBAN_CATALOG.filter((item) => item.scopes.includes('CROSS_DISTRICT'))).toHaveLength(126);
  });

  it('names the notice’s 23 departments', () => {
    expect(new Set(SEED_ITEMS.filter((item) => item.serial <= 126).map((item) => item.department)).size).toBe(23);
  });

  it.each([
    [6, '保安服务公司设立许可', '重庆市公安局'],
    [7, '申请设立保安培训单位许可', '重庆市公安局'],
    [10, '社会团体变更登记', '重庆市民政局'],
    [11, '社会团体注销登记', '重庆市民政局'],
    [14, '变更司法鉴定机构法定代表或机构负责人', '重庆市司法局'],
    [19, '律师事务所变更章程、合伙协议许可', '重庆市司法局'],
    [32, '企业年金方案备案', '重庆市人力资源和社会保障局'],
    [42, '矿产资源储量评审备案', '重庆市规划和自然资源局'],
    [51, '申请辐射安全许可证延续', '重庆市生态环境局'],
    [52, '建设项目环境影响后评价备案', '重庆市生态环境局'],
    [66, '公路工程监理丙级企业资质评定', '重庆市交通局'],
    [67, '省际、县际包车客运业户开业', '重庆市交通局'],
    [73, '工程质量监督手续办理', '重庆市水利局'],
    [91, '医疗机构放射性职业病危害建设项目竣工验收', '重庆市卫生健康委员会'],
    [95, '母婴保健服务人员资格认定（人员从事助产技术、节扎手术、终止妊娠手术服务）', '重庆市卫生健康委员会'],
    [96, '危险化学品生产、储存建设项目安全设施设计变更', '重庆市应急管理局'],
    [105, '危险化学品经营许可变更申请（无储存）', '重庆市应急管理局'],
    [106, '危险化学品安全生产许可首次申请', '重庆市应急管理局'],
    [117, '建设项目涉及国家安全事项审查', '重庆市国家安全局'],
    [126, '从事出版物、1000万元以上（含）包装装潢印刷品企业登记项目变更审批', '重庆市新闻出版局'],
    [127, '水利工程质量检测单位乙级资质认定', '重庆市水利局'],
  ])('item %i is %s of %s', (serial, name, department) => {
    const item = YUKUAIBAN_CATALOG[serial - 1]!;
    expect(item).toMatchObject({ code: `500000-${String(serial).padStart(5, '0')}`, name, department });
  });

  it('gives the 水利 川渝通办 item only the 川渝通办 scope', () => {
    expect(YUKUAIBAN_CATALOG[126]).toMatchObject({ scopes: ['SICHUAN_CHONGQING'], powerType: '行政许可' });
  });

  it('infers power types from the names', () => {
    const byName = new Map(YUKUAIBAN_CATALOG.map((item) => [item.name, item.powerType]));
    expect(byName.get('民办学校招生简章和广告备案')).toBe('其他行政权力');
    expect(byName.get('兽药生产许可证核发')).toBe('行政许可');
    expect(byName.get('社会团体成立登记')).toBe('行政许可');
    expect(byName.get('中小学生学籍管理')).toBe('公共服务');
  });

  it('generates plausible limits and materials, every item marked as sample data', () => {
    for (const item of YUKUAIBAN_CATALOG) {
      expect(regionOfItemCode(item.code)).toBe('CHONGQING');
      expect(item).toMatchObject({ region: 'CHONGQING', divisionCode: '500000', sampleData: true });
      expect(item.promisedLimitDays).toBeGreaterThanOrEqual(5);
      expect(item.promisedLimitDays).toBeLessThanOrEqual(Math.min(15, item.legalLimitDays));
      expect(['申请人身份证明', '营业执照']).toContain(item.materials[0]!.name);
      expect(item.materials[1]!.name).toMatch(/申请表$/);
      expect(item.materials.length).toBeGreaterThanOrEqual(3);
      expect(item.materials.length).toBeLessThanOrEqual(6);
      expect(new Set(item.materials.map((material) => material.name)).size).toBe(item.materials.length);
      expect(item.materials.every((material) => material.copies >= 1)).toBe(true);
    }
    expect(YUKUAIBAN_CATALOG.filter((item) => item.legalLimitDays === 20).length).toBeGreaterThan(50);
  });

  it('is deterministic', () => {
    expect(SEED_ITEMS.map(buildCatalogItem)).toEqual(YUKUAIBAN_CATALOG);
  });

  it('survives the round trip through the wire format', () => {
    for (const item of YUKUAIBAN_CATALOG) {
      const wire = itemToWire(item);
      expect(ykbItemSchema.parse(wire)).toEqual(wire);
      expect(itemFromWire(wire)).toEqual(item);
    }
  });
});
