import { createHmac } from 'node:crypto';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { counted as countedReply, failure, offlineWithNock } from '../support/client-test.kit.js';
import { InputError } from '../../domain/errors.js';
import { CircuitOpenError } from '../../adapters/circuit-breaker.js';
import { CourierClient, verifyCourierPush, type CourierClientOptions } from '../../adapters/courier/courier.client.js';
import type { CreateWaybillRequest } from '../../adapters/courier/courier.port.js';
import { signCourier } from '../../adapters/courier/courier.signature.js';
import {
  PlatformBadResponseError,
  PlatformRejectedError,
  PlatformUnavailableError,
  WebhookRejectedError,
} from '../../adapters/platform.errors.js';
import type { InboundWebhook, NonceStore } from '../../adapters/platform.port.js';

const BASE = 'https://courier.test';
const PARTNER = 'tongban-unit';
const SECRET = 'courier-test-secret';
const T0 = 1714527000000; // 2024-05-01 09:30:00 +08:00

/** Written independently of the adapter, so the adapter's signing is checked against the contract, not itself. */
function referenceSign(secret: string, timestamp: string, nonce: string, body: string): string {
  return createHmac('sha256', secret).update(Buffer.from(`${timestamp}\n${nonce}\n${body}`, 'utf8')).digest('base64');
}

const ok = (result: unknown) => ({ success: true, result });
const refused = (errorCode: string, errorMsg = '错误') => ({ success: false, errorCode, errorMsg });

const waybillNo = (n: number) => `1${String(n).padStart(12, '0')}`;

const WIRE_WAYBILL = {
  waybillNo: '1123000000001',
  businessNo: 'CY2024050100001',
  bizType: '01',
  feePayer: '1',
  stateCode: '20',
  createTime: '2024-05-01 09:30:00',
  traces: [
    { seq: 1, stateCode: '0', time: '2024-05-01 09:30:00', place: '网上下单', remark: '已下单，等待揽收' },
    { seq: 2, stateCode: '10', time: '2024-05-01 14:05:12', place: '四川省（510100）揽投部', remark: '' },
    { seq: 3, stateCode: '20', time: '2024-05-02 02:10:00', place: '四川省邮件处理中心' },
  ],
};

const ORDERED_WAYBILL = { ...WIRE_WAYBILL, stateCode: '0', traces: [WIRE_WAYBILL.traces[0]] };
const CANCELLED_WAYBILL = {
  ...ORDERED_WAYBILL,
  stateCode: '90',
  traces: [WIRE_WAYBILL.traces[0], { seq: 2, stateCode: '90', time: '2024-05-01 10:00:00', place: '网上下单', remark: '订单已取消' }],
};

const REQUEST: CreateWaybillRequest = {
  idempotencyKey: 'ship:CY2024050100001:MATERIALS',
  businessNo: 'CY2024050100001',
  purpose: 'MATERIALS',
  sender: { name: '成都市政务服务中心川渝通办窗口', phone: '028-61881234', address: '四川省成都市高新区锦城大道 366 号', postcode: '610041', divisionCode: '510100' },
  recipient: { name: '重庆市政务服务中心川渝通办窗口', phone: '023-63211234', address: '重庆市渝北区青枫北路 1 号', postcode: '401147', divisionCode: '500112' },
  contents: ['水利工程质量检测单位资质申请表', '营业执照（复印件）'],
  costBearer: 'JURISDICTION',
  note: '川渝通办材料流转',
};

let clock = T0;
let nonceSeq = 0;

function makeClient(overrides: Partial<CourierClientOptions> = {}) {
  return new CourierClient({
    baseUrl: BASE,
    partnerId: PARTNER,
    secret: SECRET,
    timeoutMs: 500,
    retries: 2,
    retryBaseMs: 1,
    now: () => clock,
    nonce: () => `nonce-${String((nonceSeq += 1)).padStart(10, '0')}`,
    ...overrides,
  });
}

function counted(path: string | RegExp, reply: () => [number, unknown, Record<string, string>?]) {
  return countedReply(nock(BASE).persist().post(path), reply);
}

offlineWithNock(() => {
  clock = T0;
});

describe('signature', () => {
  const vector = { secret: SECRET, timestamp: '1714527000000', nonce: '0123456789abcdef0123456789abcdef' };

  it('matches the contract test vectors', () => {
    const cases = [
      ['{"waybillNos":["1000000000001"]}', 'LT8ocUU5fhAwC79dBHGUOQHuvouSbEMaViPoDPmDRqI='],
      ['', '1wl7T4VCxR601T6KFBRJjBrAJ8GjSSdHj/EvJDwqw90='],
      ['{"businessNo":"CY2024050100001","remark":"川渝通办"}', '466XAxRKAPAOPb0XyZRnjiyj/59LO7hJVPUitpeCFs0='],
    ] as const;
    for (const [body, expected] of cases) {
      expect(signCourier({ ...vector, body })).toBe(expected);
      expect(signCourier({ ...vector, body: Buffer.from(body, 'utf8') })).toBe(expected);
      expect(referenceSign(vector.secret, vector.timestamp, vector.nonce, body)).toBe(expected);
    }
  });

  it('changes with every signed part', () => {
    const body = '{"waybillNos":["1000000000001"]}';
    const base = signCourier({ ...vector, body });
    expect(signCourier({ ...vector, body, timestamp: '1714527000001' })).not.toBe(base);
    expect(signCourier({ ...vector, body, nonce: 'ffffffffffffffffffffffffffffffff' })).not.toBe(base);
    expect(signCourier({ ...vector, body: '{"waybillNos":["1000000000002"]}' })).not.toBe(base);
    expect(signCourier({ ...vector, body, secret: 'other' })).not.toBe(base);
  });

  it('signs the exact bytes sent, with partner, timestamp and nonce headers, under a base-path prefix', async () => {
    const sent: { url: string; body: string; headers: Record<string, string> }[] = [];
    const spy: typeof fetch = (input, init) => {
      sent.push({ url: String(input), body: String(init?.body), headers: init?.headers as Record<string, string> });
      return fetch(input, init);
    };
    nock(BASE).post('/ems/v1/waybills/track').reply(200, ok({ waybills: [] }));
    await makeClient({ baseUrl: `${BASE}/ems/`, fetch: spy }).track(['1000000000001']);
    expect(sent).toHaveLength(1);
    const [request] = sent;
    expect(request!.url).toBe(`${BASE}/ems/v1/waybills/track`);
    expect(request!.body).toBe('{"waybillNos":["1000000000001"]}');
    expect(request!.headers).toMatchObject({
      'x-courier-partner': PARTNER,
      'x-courier-timestamp': String(T0),
      'x-courier-nonce': 'nonce-0000000001',
      'content-type': 'application/json; charset=utf-8',
    });
    expect(request!.headers['x-courier-sign']).toBe(referenceSign(SECRET, String(T0), 'nonce-0000000001', request!.body));
  });
});

describe('create waybill', () => {
  it('sends the order in courier field names and maps the answer to the port model with +08:00 times', async () => {
    let body: unknown;
    nock(BASE)
      .post('/v1/waybills', (b) => {
        body = b;
        return true;
      })
      .reply(201, ok(ORDERED_WAYBILL));
    const waybill = await makeClient().createWaybill(REQUEST);
    expect(body).toEqual({
      businessNo: 'CY2024050100001',
      bizType: '01',
      feePayer: '1',
      sender: { name: '成都市政务服务中心川渝通办窗口', phone: '028-61881234', address: '四川省成都市高新区锦城大道 366 号', postCode: '610041', divisionCode: '510100' },
      receiver: { name: '重庆市政务服务中心川渝通办窗口', phone: '023-63211234', address: '重庆市渝北区青枫北路 1 号', postCode: '401147', divisionCode: '500112' },
      cargos: [{ name: '水利工程质量检测单位资质申请表' }, { name: '营业执照（复印件）' }],
      remark: '川渝通办材料流转',
    });
    expect(waybill).toEqual({
      waybillNo: '1123000000001',
      businessNo: 'CY2024050100001',
      purpose: 'MATERIALS',
      state: 'ORDERED',
      events: [{ seq: 1, state: 'ORDERED', at: '2024-05-01T09:30:00+08:00', place: '网上下单', note: '已下单，等待揽收' }],
      createdAt: '2024-05-01T09:30:00+08:00',
    });
  });

  it.each([
    ['RESULT', 'APPLICANT', '02', '3'],
    ['MATERIALS', 'SENDER', '01', '2'],
  ] as const)('codes purpose %s and cost bearer %s', async (purpose, costBearer, bizType, feePayer) => {
    let body: { bizType?: string; feePayer?: string } = {};
    nock(BASE)
      .post('/v1/waybills', (b) => {
        body = b;
        return true;
      })
      .reply(201, ok({ ...ORDERED_WAYBILL, bizType, feePayer }));
    const waybill = await makeClient().createWaybill({ ...REQUEST, purpose, costBearer, note: undefined });
    expect(body).toMatchObject({ bizType, feePayer });
    expect(body).not.toHaveProperty('remark');
    expect(waybill.purpose).toBe(purpose);
  });

  it('sends the idempotency key, and a re-order sends the same key and the same bytes', async () => {
    const seen: { key: string; body: string }[] = [];
    const spy: typeof fetch = (input, init) => {
      seen.push({ key: (init?.headers as Record<string, string>)['x-idempotency-key']!, body: String(init?.body) });
      return fetch(input, init);
    };
    nock(BASE).post('/v1/waybills').reply(201, ok(ORDERED_WAYBILL)).post('/v1/waybills').reply(200, ok(ORDERED_WAYBILL));
    const client = makeClient({ fetch: spy });
    const first = await client.createWaybill(REQUEST);
    const again = await client.createWaybill({ ...REQUEST });
    expect(seen.map((s) => s.key)).toEqual([REQUEST.idempotencyKey, REQUEST.idempotencyKey]);
    expect(seen[1]!.body).toBe(seen[0]!.body);
    expect(again).toEqual(first);
  });

  it('is never retried by the client, whatever the failure', async () => {
    const calls = counted('/v1/waybills', () => [503, refused('SYSTEM_BUSY')]);
    expect(await failure(makeClient({ retries: 5 }).createWaybill(REQUEST))).toBeInstanceOf(PlatformUnavailableError);
    expect(calls.count).toBe(1);
  });

  it('is not retried after a timeout either', async () => {
    nock(BASE).post('/v1/waybills').delay(1_000).reply(201, ok(ORDERED_WAYBILL));
    const error = await failure(makeClient({ timeoutMs: 50, retries: 5 }).createWaybill(REQUEST));
    expect(error).toMatchObject({ code: 'PLATFORM.COURIER_UNAVAILABLE' });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('surfaces an idempotency conflict as REJECTED IDEMPOTENCY_CONFLICT', async () => {
    nock(BASE).post('/v1/waybills').reply(409, refused('IDEMPOTENCY_CONFLICT', '幂等键已用于另一请求'));
    expect(await failure(makeClient().createWaybill(REQUEST))).toMatchObject({
      code: 'PLATFORM.COURIER_REJECTED',
      platformCode: 'IDEMPOTENCY_CONFLICT',
      retryable: false,
    });
  });

  it.each([
    ['a key that cannot travel in a header', { idempotencyKey: 'line\nbreak' }],
    ['an empty key', { idempotencyKey: '' }],
    ['a 5-digit postcode', { sender: { ...REQUEST.sender, postcode: '61004' } }],
    ['a phone that is neither mobile nor landline', { recipient: { ...REQUEST.recipient, phone: '12345' } }],
    ['a 4-digit division code', { recipient: { ...REQUEST.recipient, divisionCode: '5001' } }],
    ['no contents', { contents: [] }],
    ['a blank content name', { contents: ['  '] }],
  ])('refuses %s without calling', async (_label, change) => {
    const calls = counted('/v1/waybills', () => [201, ok(ORDERED_WAYBILL)]);
    expect(await failure(makeClient().createWaybill({ ...REQUEST, ...change }))).toBeInstanceOf(InputError);
    expect(calls.count).toBe(0);
  });

  it.each([
    ['another business number', { businessNo: 'CY-SOMEONE-ELSE' }],
    ['another purpose', { bizType: '02' }],
    ['another fee payer', { feePayer: '3' }],
  ])('treats a waybill for %s as a bad response', async (_label, change) => {
    nock(BASE).post('/v1/waybills').reply(201, ok({ ...ORDERED_WAYBILL, ...change }));
    expect(await failure(makeClient().createWaybill(REQUEST))).toBeInstanceOf(PlatformBadResponseError);
  });
});

describe('error mapping', () => {
  const one = [waybillNo(1)];

  it('5xx on track: retried, then PLATFORM.COURIER_UNAVAILABLE', async () => {
    const calls = counted('/v1/waybills/track', () => [500, refused('SYSTEM_ERROR')]);
    const error = await failure(makeClient({ retries: 2 }).track(one));
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect(error).toMatchObject({ code: 'PLATFORM.COURIER_UNAVAILABLE', retryable: true });
    expect(calls.count).toBe(3);
  });

  it('a track that fails once then succeeds returns the data', async () => {
    let n = 0;
    const calls = counted('/v1/waybills/track', () => ((n += 1) === 1 ? [503, refused('SYSTEM_BUSY')] : [200, ok({ waybills: [WIRE_WAYBILL] })]));
    const [waybill] = await makeClient().track([WIRE_WAYBILL.waybillNo]);
    expect(waybill).toMatchObject({ waybillNo: WIRE_WAYBILL.waybillNo, state: 'IN_TRANSIT' });
    expect(waybill!.events.map((event) => [event.seq, event.state, event.at])).toEqual([
      [1, 'ORDERED', '2024-05-01T09:30:00+08:00'],
      [2, 'COLLECTED', '2024-05-01T14:05:12+08:00'],
      [3, 'IN_TRANSIT', '2024-05-02T02:10:00+08:00'],
    ]);
    expect(waybill!.events[1]).not.toHaveProperty('note');
    expect(calls.count).toBe(2);
  });

  it('4xx with an error code: PLATFORM.COURIER_REJECTED, not retried', async () => {
    const calls = counted('/v1/waybills/track', () => [401, refused('SIGN_ERROR', '签名错误')]);
    const error = await failure(makeClient().track(one));
    expect(error).toBeInstanceOf(PlatformRejectedError);
    expect(error).toMatchObject({ code: 'PLATFORM.COURIER_REJECTED', platformCode: 'SIGN_ERROR', retryable: false });
    expect(calls.count).toBe(1);
  });

  it('a 4xx without an envelope: REJECTED with HTTP_<status>', async () => {
    counted('/v1/waybills/track', () => [403, '<html>forbidden</html>', { 'content-type': 'text/html' }]);
    expect(await failure(makeClient().track(one))).toMatchObject({ platformCode: 'HTTP_403' });
  });

  it('success:false in a 200 is a business refusal: REJECTED with that code, not retried', async () => {
    const calls = counted('/v1/waybills/track', () => [200, refused('PARAM_ERROR')]);
    expect(await failure(makeClient().track(one))).toMatchObject({ code: 'PLATFORM.COURIER_REJECTED', platformCode: 'PARAM_ERROR' });
    expect(calls.count).toBe(1);
  });

  it.each(['SYSTEM_ERROR', 'SYSTEM_BUSY', 'RATE_LIMITED'])('success:false %s in a 200 is unavailability, not rejection', async (code) => {
    counted('/v1/waybills/track', () => [200, refused(code)]);
    expect(await failure(makeClient({ retries: 0 }).track(one))).toBeInstanceOf(PlatformUnavailableError);
  });

  it('truncated JSON: PLATFORM.COURIER_BAD_RESPONSE, not retried', async () => {
    const calls = counted('/v1/waybills/track', () => [200, '{"success":true,"result":{"wayb']);
    const error = await failure(makeClient().track(one));
    expect(error).toBeInstanceOf(PlatformBadResponseError);
    expect(error).toMatchObject({ code: 'PLATFORM.COURIER_BAD_RESPONSE' });
    expect(calls.count).toBe(1);
  });

  it.each([
    ['not the envelope', { code: '0', data: { waybills: [] } }],
    ['success:false without an errorCode', { success: false, errorMsg: '错误' }],
    ['success as a string', { success: 'true', result: { waybills: [] } }],
    ['result missing its list', ok({})],
    ['an unknown state code', ok({ waybills: [{ ...WIRE_WAYBILL, stateCode: '70', traces: [{ ...WIRE_WAYBILL.traces[0], stateCode: '70' }] }] })],
    ['a waybill number of 12 digits', ok({ waybills: [{ ...WIRE_WAYBILL, waybillNo: '112300000001' }] })],
    ['a waybill number starting with 2', ok({ waybills: [{ ...WIRE_WAYBILL, waybillNo: '2123000000001' }] })],
    ['an ISO time instead of yyyy-MM-dd HH:mm:ss', ok({ waybills: [{ ...WIRE_WAYBILL, createTime: '2024-05-01T09:30:00+08:00' }] })],
    ['an impossible date', ok({ waybills: [{ ...WIRE_WAYBILL, createTime: '2024-02-30 09:30:00' }] })],
    ['traces out of seq order', ok({ waybills: [{ ...WIRE_WAYBILL, traces: [...WIRE_WAYBILL.traces].reverse() }] })],
    ['a state that is not the last trace’s', ok({ waybills: [{ ...WIRE_WAYBILL, stateCode: '40' }] })],
    ['no traces', ok({ waybills: [{ ...WIRE_WAYBILL, traces: [] }] })],
    ['a waybill nobody asked for', ok({ waybills: [{ ...WIRE_WAYBILL, waybillNo: waybillNo(99) }] })],
  ])('BAD_RESPONSE for %s', async (_label, body) => {
    nock(BASE).post('/v1/waybills/track').reply(200, body);
    expect(await failure(makeClient().track([WIRE_WAYBILL.waybillNo]))).toBeInstanceOf(PlatformBadResponseError);
  });

  it('a redirect is outside the contract: BAD_RESPONSE', async () => {
    nock(BASE).post('/v1/waybills/track').reply(302, '', { location: 'https://elsewhere.test/' });
    expect(await failure(makeClient().track(one))).toBeInstanceOf(PlatformBadResponseError);
  });

  it('timeout: UNAVAILABLE, track retried', async () => {
    nock(BASE).post('/v1/waybills/track').times(2).delay(1_000).reply(200, ok({ waybills: [] }));
    const started = Date.now();
    const error = await failure(makeClient({ timeoutMs: 50, retries: 1 }).track(one));
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect((error as Error).message).toContain('超时');
    expect(Date.now() - started).toBeLessThan(900);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('network failure: UNAVAILABLE', async () => {
    nock(BASE).post('/v1/waybills/track').replyWithError('ECONNRESET');
    const error = await failure(makeClient({ retries: 0 }).track(one));
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect((error as Error).message).toContain('ECONNRESET');
  });

  it('429: UNAVAILABLE carrying Retry-After, not retried against the courier’s wish', async () => {
    const calls = counted('/v1/waybills/track', () => [429, refused('RATE_LIMITED'), { 'retry-after': '7' }]);
    const error = (await failure(makeClient().track(one))) as PlatformUnavailableError;
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect(error.retryAfterMs).toBe(7_000);
    expect(calls.count).toBe(1);
  });

  it('429 with an HTTP-date Retry-After', async () => {
    counted('/v1/waybills/track', () => [429, refused('RATE_LIMITED'), { 'retry-after': new Date(T0 + 90_000).toUTCString() }]);
    expect(((await failure(makeClient().track(one))) as PlatformUnavailableError).retryAfterMs).toBe(90_000);
  });
});

describe('cancel', () => {
  it('puts the waybill number in the path and in the signed body, and returns the cancelled waybill', async () => {
    let body: unknown;
    nock(BASE)
      .post('/v1/waybills/1123000000001/cancel', (b) => {
        body = b;
        return true;
      })
      .reply(200, ok(CANCELLED_WAYBILL));
    const waybill = await makeClient().cancel('1123000000001');
    expect(body).toEqual({ waybillNo: '1123000000001' });
    expect(waybill).toMatchObject({ waybillNo: '1123000000001', state: 'CANCELLED' });
    expect(waybill.events.at(-1)).toEqual({ seq: 2, state: 'CANCELLED', at: '2024-05-01T10:00:00+08:00', place: '网上下单', note: '订单已取消' });
  });

  it('after 揽收: REJECTED CANCEL_NOT_ALLOWED, not retried', async () => {
    const calls = counted('/v1/waybills/1123000000001/cancel', () => [200, refused('CANCEL_NOT_ALLOWED', '已揽收，不能取消')]);
    const error = await failure(makeClient().cancel('1123000000001'));
    expect(error).toBeInstanceOf(PlatformRejectedError);
    expect(error).toMatchObject({ code: 'PLATFORM.COURIER_REJECTED', platformCode: 'CANCEL_NOT_ALLOWED' });
    expect(calls.count).toBe(1);
  });

  it('is never retried on unavailability', async () => {
    const calls = counted('/v1/waybills/1123000000001/cancel', () => [503, refused('SYSTEM_BUSY')]);
    expect(await failure(makeClient({ retries: 5 }).cancel('1123000000001'))).toBeInstanceOf(PlatformUnavailableError);
    expect(calls.count).toBe(1);
  });

  it('refuses a number that is not a domestic waybill number, without calling', async () => {
    const calls = counted(/cancel/, () => [200, ok(CANCELLED_WAYBILL)]);
    for (const bad of ['112300000001', '2123000000001', '../track', '']) {
      expect(await failure(makeClient().cancel(bad))).toBeInstanceOf(InputError);
    }
    expect(calls.count).toBe(0);
  });

  it('treats a success that is not the cancelled waybill as a bad response', async () => {
    nock(BASE)
      .post('/v1/waybills/1123000000001/cancel')
      .reply(200, ok(ORDERED_WAYBILL))
      .post('/v1/waybills/1123000000001/cancel')
      .reply(200, ok({ ...CANCELLED_WAYBILL, waybillNo: '1123000000002' }));
    expect(await failure(makeClient().cancel('1123000000001'))).toBeInstanceOf(PlatformBadResponseError);
    expect(await failure(makeClient().cancel('1123000000001'))).toBeInstanceOf(PlatformBadResponseError);
  });
});

describe('batching', () => {
  const wire = (no: string) => ({ ...WIRE_WAYBILL, waybillNo: no });

  it('splits 120 waybill numbers into 3 calls of ≤ 50 and aligns the results with the input', async () => {
    const nos = Array.from({ length: 120 }, (_, i) => waybillNo(i + 1));
    const chunks: string[][] = [];
    nock(BASE)
      .persist()
      .post('/v1/waybills/track')
      .reply((_uri, body) => {
        const asked = (body as { waybillNos: string[] }).waybillNos;
        chunks.push(asked);
        // Only odd numbers exist; answers come back reversed to prove alignment is by number, not position.
        const known = asked.filter((no) => Number(no) % 2 === 1).reverse();
        return [200, ok({ waybills: known.map(wire) })];
      });
    const result = await makeClient().track(nos);
    expect(chunks.map((chunk) => chunk.length).sort((a, b) => b - a)).toEqual([50, 50, 20]);
    expect(new Set(chunks.flat()).size).toBe(120);
    expect(result).toHaveLength(120);
    nos.forEach((no, i) => {
      if (Number(no) % 2 === 1) expect(result[i]?.waybillNo).toBe(no);
      else expect(result[i]).toBeNull();
    });
  });

  it('asks once per distinct number, and answers null without asking for numbers that cannot exist', async () => {
    nock(BASE).post('/v1/waybills/track', { waybillNos: [waybillNo(1)] }).reply(200, ok({ waybills: [wire(waybillNo(1))] }));
    const result = await makeClient().track(['not-a-waybill', waybillNo(1), '2000000000001', waybillNo(1)]);
    expect(result.map((waybill) => waybill?.waybillNo ?? null)).toEqual([null, waybillNo(1), null, waybillNo(1)]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('makes no call for an empty batch or one of impossible numbers', async () => {
    expect(await makeClient().track([])).toEqual([]);
    expect(await makeClient().track(['123'])).toEqual([null]);
  });

  it('fails the whole batch when one chunk fails', async () => {
    let n = 0;
    counted('/v1/waybills/track', () => ((n += 1) === 2 ? [400, refused('PARAM_ERROR')] : [200, ok({ waybills: [] })]));
    const nos = Array.from({ length: 101 }, (_, i) => waybillNo(i + 1));
    expect(await failure(makeClient().track(nos))).toBeInstanceOf(PlatformRejectedError);
  });
});

describe('circuit breaker', () => {
  it('opens after N unavailable calls, fails fast, half-opens after the reset and closes on a good probe', async () => {
    let healthy = false;
    const calls = counted('/v1/waybills/track', () => (healthy ? [200, ok({ waybills: [] })] : [503, refused('SYSTEM_BUSY')]));
    const client = makeClient({ retries: 0, circuitBreaker: { failureThreshold: 3, resetAfterMs: 10_000 } });
    const one = [waybillNo(1)];
    for (let i = 0; i < 3; i += 1) expect(await failure(client.track(one))).toBeInstanceOf(PlatformUnavailableError);
    expect(client.circuitState).toBe('OPEN');

    clock += 4_000;
    const fast = (await failure(client.track(one))) as PlatformUnavailableError;
    expect(fast).toMatchObject({ code: 'PLATFORM.COURIER_UNAVAILABLE', retryAfterMs: 6_000 });
    expect(fast.cause).toBeInstanceOf(CircuitOpenError);
    expect(await failure(client.createWaybill(REQUEST))).toBeInstanceOf(PlatformUnavailableError);
    expect(calls.count).toBe(3);

    clock += 6_000;
    expect(client.circuitState).toBe('HALF_OPEN');
    expect(await failure(client.track(one))).toBeInstanceOf(PlatformUnavailableError);
    expect(calls.count).toBe(4);
    expect(client.circuitState).toBe('OPEN');

    clock += 10_000;
    healthy = true;
    await expect(client.track(one)).resolves.toEqual([null]);
    expect(client.circuitState).toBe('CLOSED');
    expect(calls.count).toBe(5);
  });

  it('does not count rejections or bad responses as failures', async () => {
    let n = 0;
    counted('/v1/waybills/track', () => ((n += 1) % 2 ? [200, refused('PARAM_ERROR')] : [200, '{"truncated']));
    const client = makeClient({ retries: 0, circuitBreaker: { failureThreshold: 2, resetAfterMs: 10_000 } });
    for (let i = 0; i < 6; i += 1) await failure(client.track([waybillNo(1)]));
    expect(client.circuitState).toBe('CLOSED');
  });

  it('stops retrying track once the circuit opens mid-way', async () => {
    const calls = counted('/v1/waybills/track', () => [500, refused('SYSTEM_ERROR')]);
    const client = makeClient({ retries: 5, circuitBreaker: { failureThreshold: 2, resetAfterMs: 10_000 } });
    const error = (await failure(client.track([waybillNo(1)]))) as PlatformUnavailableError;
    expect(error.cause).toBeInstanceOf(CircuitOpenError);
    expect(calls.count).toBe(2);
  });
});

describe('push verification', () => {
  const PUSH = {
    pushId: 'P1230000000007',
    waybillNo: '1123000000001',
    businessNo: 'CY2024050100001',
    seq: 2,
    stateCode: '10',
    time: '2024-05-01 14:05:12',
    place: '四川省（510100）揽投部',
    remark: '已揽收',
  };

  function memoryNonceStore() {
    const seen = new Map<string, number>();
    const store: NonceStore & { claims: { nonce: string; ttlSeconds: number }[] } = {
      claims: [],
      async claim(nonce, ttlSeconds) {
        store.claims.push({ nonce, ttlSeconds });
        const expiresAt = seen.get(nonce);
        if (expiresAt !== undefined && expiresAt > clock) return false;
        seen.set(nonce, clock + ttlSeconds * 1000);
        return true;
      },
    };
    return store;
  }

  function push(opts: { body?: string; timestamp?: number; nonce?: string; secret?: string } = {}): InboundWebhook {
    const body = opts.body ?? JSON.stringify(PUSH);
    const timestamp = String(opts.timestamp ?? clock);
    const nonce = opts.nonce ?? '5f1e0c2a9b8d4e6f8a7b6c5d4e3f2a1b';
    return {
      headers: {
        'X-Courier-Partner': PARTNER,
        'X-Courier-Timestamp': timestamp,
        'X-Courier-Nonce': nonce,
        'X-Courier-Sign': referenceSign(opts.secret ?? SECRET, timestamp, nonce, body),
      },
      rawBody: Buffer.from(body, 'utf8'),
    };
  }

  const verify = (webhook: InboundWebhook, nonceStore: NonceStore) => verifyCourierPush(webhook, { partnerId: PARTNER, secret: SECRET, nonceStore, now: () => clock });

  it('accepts a valid push, normalises it and claims its nonce for twice the window', async () => {
    const store = memoryNonceStore();
    expect(await verify(push(), store)).toEqual({
      pushId: 'P1230000000007',
      waybillNo: '1123000000001',
      businessNo: 'CY2024050100001',
      seq: 2,
      state: 'COLLECTED',
      at: '2024-05-01T14:05:12+08:00',
      place: '四川省（510100）揽投部',
      note: '已揽收',
    });
    expect(store.claims).toEqual([{ nonce: 'courier:5f1e0c2a9b8d4e6f8a7b6c5d4e3f2a1b', ttlSeconds: 600 }]);
  });

  it('accepts a push without a remark, and one whose headers arrive lower-cased', async () => {
    const { remark: _remark, ...bare } = PUSH;
    const webhook = push({ body: JSON.stringify(bare) });
    const lower = Object.fromEntries(Object.entries(webhook.headers).map(([name, value]) => [name.toLowerCase(), value]));
    expect(await verify({ ...webhook, headers: lower }, memoryNonceStore())).not.toHaveProperty('note');
  });

  it.each([
    ['a wrong secret', push({ secret: 'not-the-secret' })],
    ['a tampered body', { ...push(), rawBody: Buffer.from(JSON.stringify({ ...PUSH, stateCode: '40' })) }],
    ['a re-serialised body', { ...push(), rawBody: Buffer.from(JSON.stringify(PUSH, null, 1)) }],
    ['a changed timestamp', { ...push(), headers: { ...push().headers, 'X-Courier-Timestamp': String(T0 + 1) } }],
    ['a hex signature', { ...push(), headers: { ...push().headers, 'X-Courier-Sign': 'ab'.repeat(32) } }],
    ['no signature', { ...push(), headers: { ...push().headers, 'X-Courier-Sign': undefined } }],
  ])('rejects %s as BAD_SIGNATURE without touching the nonce store', async (_label, webhook) => {
    const store = memoryNonceStore();
    const error = await failure(verify(webhook, store));
    expect(error).toBeInstanceOf(WebhookRejectedError);
    expect(error).toMatchObject({ reason: 'BAD_SIGNATURE', code: 'WEBHOOK.BAD_SIGNATURE' });
    expect(store.claims).toEqual([]);
  });

  it('rejects a timestamp more than 5 minutes off as STALE_TIMESTAMP, either way', async () => {
    const store = memoryNonceStore();
    expect(await failure(verify(push({ timestamp: clock - 300_001 }), store))).toMatchObject({ reason: 'STALE_TIMESTAMP' });
    expect(await failure(verify(push({ timestamp: clock + 300_001 }), store))).toMatchObject({ reason: 'STALE_TIMESTAMP' });
    expect(store.claims).toEqual([]);
    await expect(verify(push({ timestamp: clock - 299_000 }), store)).resolves.toMatchObject({ pushId: PUSH.pushId });
  });

  it('rejects the same delivery a second time as REPLAYED', async () => {
    const store = memoryNonceStore();
    const webhook = push();
    await verify(webhook, store);
    clock += 1_000;
    const error = await failure(verify(webhook, store));
    expect(error).toBeInstanceOf(WebhookRejectedError);
    expect(error).toMatchObject({ reason: 'REPLAYED', code: 'WEBHOOK.REPLAYED' });
  });

  it('accepts the same push re-sent with a fresh nonce: deduplication is by pushId, not by nonce', async () => {
    const store = memoryNonceStore();
    const first = await verify(push(), store);
    const again = await verify(push({ nonce: 'aaaabbbbccccddddeeeeffff00001111' }), store);
    expect(again).toEqual(first);
  });

  it('rejects a signed push whose body is not the contract as MALFORMED, before claiming the nonce', async () => {
    const store = memoryNonceStore();
    for (const body of ['{"pushId":', JSON.stringify({ ...PUSH, stateCode: '70' }), JSON.stringify({ ...PUSH, seq: 0 }), JSON.stringify({ ...PUSH, time: '2024-05-01T14:05:12+08:00' })]) {
      expect(await failure(verify(push({ body }), store))).toMatchObject({ reason: 'MALFORMED' });
    }
    const latin1 = Buffer.from([0x7b, 0xff, 0x7d]);
    const signed = push();
    const nonce = signed.headers['X-Courier-Nonce'] as string;
    const sign = createHmac('sha256', SECRET).update(Buffer.concat([Buffer.from(`${clock}\n${nonce}\n`), latin1])).digest('base64');
    expect(await failure(verify({ headers: { ...signed.headers, 'X-Courier-Sign': sign }, rawBody: latin1 }, store))).toMatchObject({ reason: 'MALFORMED' });
    expect(store.claims).toEqual([]);
  });

  it('rejects missing or malformed timestamp and nonce headers as MALFORMED', async () => {
    const store = memoryNonceStore();
    expect(await failure(verify({ headers: {}, rawBody: Buffer.from('{}') }, store))).toMatchObject({ reason: 'MALFORMED' });
    expect(await failure(verify(push({ nonce: 'short' }), store))).toMatchObject({ reason: 'MALFORMED' });
    expect(await failure(verify({ ...push(), headers: { ...push().headers, 'X-Courier-Timestamp': '2024-05-01' } }, store))).toMatchObject({
      reason: 'MALFORMED',
    });
    expect(store.claims).toEqual([]);
  });
});
