import { createHash, createHmac } from 'node:crypto';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { counted as countedReply, failure, offlineWithNock } from '../support/client-test.kit.js';
import { InputError } from '../../domain/errors.js';
import { CircuitOpenError } from '../../adapters/circuit-breaker.js';
import { NotifyClient, type NotifyClientOptions } from '../../adapters/notify/notify.client.js';
import type { NotificationTemplate, OutboundMessage } from '../../adapters/notify/notify.port.js';
import { checkNotifySignature, signNotify } from '../../adapters/notify/notify.signature.js';
import { MAX_SMS_LENGTH, renderNotification, templateParams } from '../../adapters/notify/notify.templates.js';
import { PlatformBadResponseError, PlatformRejectedError, PlatformUnavailableError } from '../../adapters/platform.errors.js';

const BASE = 'https://notify.test';
const APP = 'tongban-notify';
const SECRET = 'notify-test-secret';
const T0 = 1714527000000; // 2024-05-01 09:30:00 +08:00

/** Written independently of the adapter, so the adapter's signing is checked against the contract, not itself. */
function referenceSign(secret: string, app: string, timestamp: string, nonce: string, body: string): string {
  const bodyHash = createHash('sha256').update(Buffer.from(body, 'utf8')).digest('hex');
  return createHmac('sha256', secret).update(`${app}\n${timestamp}\n${nonce}\n${bodyHash}`, 'utf8').digest('hex');
}

const okData = (data: unknown) => ({ code: 0, message: '成功', data });
const refused = (code: number, message = '错误') => ({ code, message });

const PICKUP: OutboundMessage = {
  idempotencyKey: 'notify:CY2024050100001:PICKUP_READY:SMS',
  channel: 'SMS',
  to: '13800138000',
  template: 'PICKUP_READY',
  params: { itemName: '律师执业许可', windowName: '成都市政务服务中心川渝通办窗口' },
  businessNo: 'CY2024050100001',
};
const PICKUP_SMS = '【川渝通办】您申请的律师执业许可办理结果已送达成都市政务服务中心川渝通办窗口，请携带身份证件领取。业务编号：CY2024050100001';

const ACCEPTED_AT = '2024-05-01T09:30:00.000+08:00';
const receipt = (requestId = PICKUP.idempotencyKey, extra: object = {}) =>
  okData({ requestId, messageId: 'M1230000000001', acceptedAt: ACCEPTED_AT, duplicate: false, ...extra });

let clock = T0;
let nonceSeq = 0;

function makeClient(overrides: Partial<NotifyClientOptions> = {}) {
  return new NotifyClient({
    baseUrl: BASE,
    appId: APP,
    secret: SECRET,
    timeoutMs: 500,
    now: () => clock,
    nonce: () => `nonce-${String((nonceSeq += 1)).padStart(10, '0')}`,
    ...overrides,
  });
}

interface Sent {
  url: string;
  method: string;
  body: string;
  headers: Record<string, string>;
}

/** Records exactly what the client hands to fetch — the bytes that were signed — and lets nock answer. */
function spyFetch(): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    fetch: (input, init) => {
      sent.push({
        url: String(input),
        method: init?.method ?? 'GET',
        body: init?.body === undefined ? '' : String(init.body),
        headers: init?.headers as Record<string, string>,
      });
      return fetch(input, init);
    },
  };
}

function counted(reply: () => [number, unknown, Record<string, string>?], path = '/v1/messages') {
  return countedReply(nock(BASE).persist().post(path), reply);
}

offlineWithNock(() => {
  clock = T0;
});

describe('signature', () => {
  const vector = { appId: APP, secret: SECRET, timestamp: '1714527000000', nonce: '0123456789abcdef0123456789abcdef' };

  it('matches the contract test vectors', () => {
    const cases = [
      ['', 'f74da4b81f6ad1d60aff367b828c0ef667f8d6e4a9d08eba51aff367ebb53df0'],
      ['{"requestId":"notify:CY2024050100001:PICKUP_READY"}', '2403d0c63ba34c0ca1103542e353d9429355755d40366ebb78d0b33898c93eb7'],
      ['{"content":"【川渝通办】测试"}', 'b252b04cb7c511f6a171e7f775cb69e38f76c8e0de8e054bbb62a796ad4ace9b'],
    ] as const;
    for (const [body, expected] of cases) {
      expect(signNotify({ ...vector, body })).toBe(expected);
      expect(signNotify({ ...vector, body: Buffer.from(body, 'utf8') })).toBe(expected);
      expect(referenceSign(vector.secret, vector.appId, vector.timestamp, vector.nonce, body)).toBe(expected);
    }
  });

  it('changes with every signed part', () => {
    const body = '{"requestId":"r1"}';
    const base = signNotify({ ...vector, body });
    expect(signNotify({ ...vector, body, appId: 'other-app' })).not.toBe(base);
    expect(signNotify({ ...vector, body, timestamp: '1714527000001' })).not.toBe(base);
    expect(signNotify({ ...vector, body, nonce: 'ffffffffffffffffffffffffffffffff' })).not.toBe(base);
    expect(signNotify({ ...vector, body: '{"requestId":"r2"}' })).not.toBe(base);
    expect(signNotify({ ...vector, body, secret: 'other' })).not.toBe(base);
  });

  it('is checked signature first, then the ±5 min window', () => {
    const body = '{"requestId":"r1"}';
    const headers = (over: Partial<typeof vector> = {}) => {
      const v = { ...vector, ...over };
      return { 'X-Notify-Timestamp': v.timestamp, 'X-Notify-Nonce': v.nonce, 'X-Notify-Signature': signNotify({ ...v, body }) };
    };
    const check = (h: Record<string, string>, now = T0) =>
      checkNotifySignature({ appId: APP, secret: SECRET, headers: h, body, now, toleranceMs: 300_000 });
    expect(check(headers())).toEqual({ ok: true, nonce: vector.nonce, timestamp: T0 });
    expect(check(headers({ secret: 'wrong' }))).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
    expect(check(headers({ secret: 'wrong' }), T0 + 3_600_000)).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
    expect(check(headers(), T0 + 300_001)).toMatchObject({ ok: false, reason: 'STALE_TIMESTAMP' });
    expect(check(headers(), T0 - 300_001)).toMatchObject({ ok: false, reason: 'STALE_TIMESTAMP' });
    expect(check(headers({ nonce: 'short' }))).toMatchObject({ ok: false, reason: 'MALFORMED' });
    expect(check({ ...headers(), 'X-Notify-Signature': 'A'.repeat(64) })).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it('the client signs the exact bytes it sends, under a base-path prefix', async () => {
    const spy = spyFetch();
    nock(BASE).post('/gw/v1/messages').reply(200, receipt());
    await makeClient({ baseUrl: `${BASE}/gw/`, fetch: spy.fetch }).send(PICKUP);
    expect(spy.sent).toHaveLength(1);
    const [request] = spy.sent;
    expect(request!.url).toBe(`${BASE}/gw/v1/messages`);
    expect(request!.headers).toMatchObject({
      'x-notify-app': APP,
      'x-notify-timestamp': String(T0),
      'x-notify-nonce': 'nonce-0000000001',
      'content-type': 'application/json; charset=utf-8',
    });
    expect(request!.headers['x-notify-signature']).toBe(referenceSign(SECRET, APP, String(T0), 'nonce-0000000001', request!.body));
  });
});

describe('templates', () => {
  const cases: [NotificationTemplate, Record<string, string>, string][] = [
    ['DEADLINE_AT_RISK', { stage: '属地审批', dueAt: '2024-05-08 18:00' }, '办件CY2024050100001「属地审批」将于2024-05-08 18:00到期，请及时办理。'],
    ['DEADLINE_OVERDUE', { stage: '材料流转', dueAt: '2024-05-03 18:00' }, '办件CY2024050100001「材料流转」已于2024-05-03 18:00超期，请尽快办理。'],
    [
      'CORRECTION_REMINDER',
      { itemName: '律师执业许可', deadline: '2024-05-10', windowName: '重庆市政务服务中心川渝通办窗口' },
      '您申请的律师执业许可需补正材料，请于2024-05-10前到重庆市政务服务中心川渝通办窗口补正，逾期视为放弃申请。业务编号：CY2024050100001',
    ],
    ['PICKUP_READY', PICKUP.params, PICKUP_SMS.slice('【川渝通办】'.length)],
    [
      'RESULT_MAILED',
      { itemName: '律师执业许可', waybillNo: '1123000000001' },
      '您申请的律师执业许可办理结果已通过政务专递寄出，运单号：1123000000001，请注意查收。业务编号：CY2024050100001',
    ],
    ['TRANSFER_FAILED', { reason: '政务专递下单失败' }, '办件CY2024050100001材料流转失败（政务专递下单失败），请运维人员及时处理。'],
  ];

  it.each(cases)('%s renders the one wording, as SMS with the signature', (template, params, text) => {
    expect(renderNotification({ channel: 'SMS', to: '13800138000', template, params, businessNo: 'CY2024050100001' })).toEqual({
      ok: true,
      content: `【川渝通办】${text}`,
    });
  });

  it('renders e-mail with a subject and a footer', () => {
    expect(renderNotification({ ...PICKUP, channel: 'EMAIL', to: 'zhang.san@example.gov.cn' })).toEqual({
      ok: true,
      subject: '川渝通办：办理结果领取通知',
      content: `${PICKUP_SMS.slice('【川渝通办】'.length)}\n\n本邮件由川渝通办系统自动发送，请勿直接回复。`,
    });
  });

  it('names every placeholder as a required parameter', () => {
    expect(templateParams('PICKUP_READY')).toEqual(['itemName', 'windowName', 'businessNo']);
    expect(templateParams('TRANSFER_FAILED')).toEqual(['businessNo', 'reason']);
  });

  it('takes businessNo from params when the message has none, and refuses two that differ', () => {
    const { businessNo: _omitted, ...withoutNo } = PICKUP;
    expect(renderNotification({ ...withoutNo, params: { ...PICKUP.params, businessNo: 'CY2024050100001' } })).toEqual({ ok: true, content: PICKUP_SMS });
    expect(renderNotification({ ...PICKUP, params: { ...PICKUP.params, businessNo: 'CY2024050100002' } })).toMatchObject({
      ok: false,
      problem: 'INVALID_PARAMS',
    });
  });

  it('substitutes in one pass: a value that looks like a placeholder is printed as is', () => {
    const rendering = renderNotification({ ...PICKUP, params: { ...PICKUP.params, itemName: '{windowName}' } });
    expect(rendering).toMatchObject({ ok: true });
    expect(rendering.ok && rendering.content).toContain('您申请的{windowName}办理结果');
  });

  it(`allows an SMS of exactly ${MAX_SMS_LENGTH} characters, signature included, and no more`, () => {
    const draft = (deadline: string) => ({
      channel: 'SMS' as const,
      to: '13800138000',
      template: 'CORRECTION_REMINDER',
      businessNo: 'CY2024050100001',
      params: { itemName: '甲'.repeat(200), windowName: '乙'.repeat(200), deadline },
    });
    const base = renderNotification(draft('丙'));
    if (!base.ok) throw new Error(base.detail);
    const fill = '丙'.repeat(MAX_SMS_LENGTH - Array.from(base.content).length + 1);
    const exact = renderNotification(draft(fill));
    expect(exact.ok && Array.from(exact.content).length).toBe(MAX_SMS_LENGTH);
    expect(renderNotification(draft(`${fill}丙`))).toMatchObject({ ok: false, problem: 'TOO_LONG' });
  });

  it.each([
    ['a missing parameter', { params: { itemName: '律师执业许可' } }, '缺少参数 windowName'],
    ['a parameter the template does not use', { params: { ...PICKUP.params, itemname: 'x' } }, '不使用参数 itemname'],
    ['a blank parameter', { params: { ...PICKUP.params, windowName: '  ' } }, 'windowName 不能为空'],
    ['a parameter with a line break', { params: { ...PICKUP.params, windowName: '窗口\n点击链接' } }, '控制字符'],
    ['a parameter over 200 characters', { params: { ...PICKUP.params, itemName: '甲'.repeat(201) } }, '超过 200'],
    ['a template that does not exist', { template: 'WELCOME' as NotificationTemplate }, '没有通知模板'],
    ['an SMS to a number outside 13–19', { to: '12800138000' }, '手机号'],
    ['an SMS to 10 digits', { to: '1380013800' }, '手机号'],
    ['an SMS to a number with +86', { to: '+8613800138000' }, '手机号'],
    ['an SMS to an e-mail address', { to: 'zhang.san@example.gov.cn' }, '手机号'],
    ['an e-mail to a phone number', { channel: 'EMAIL', to: '13800138000' }, '电子邮件'],
    ['an e-mail address with a space', { channel: 'EMAIL', to: 'zhang san@example.gov.cn' }, '电子邮件'],
    ['an e-mail address without a domain dot', { channel: 'EMAIL', to: 'zhang@localhost' }, '电子邮件'],
    ['an SMS over 500 characters', { template: 'CORRECTION_REMINDER', params: { itemName: '甲'.repeat(200), windowName: '乙'.repeat(200), deadline: '丙'.repeat(200) } }, '超过 500'],
    ['a businessNo over the gateway’s 64 characters', { businessNo: 'CY'.repeat(40) }, 'businessNo'],
  ] as const)('the client refuses %s as INPUT.INVALID_NOTIFICATION without calling', async (_label, change, detail) => {
    const calls = counted(() => [200, receipt()]);
    const error = await failure(makeClient().send({ ...PICKUP, ...change } as OutboundMessage));
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ code: 'INPUT.INVALID_NOTIFICATION' });
    expect((error as Error).message).toContain(detail);
    expect(calls.count).toBe(0);
  });

  it.each(['', 'key with spaces', 'k'.repeat(129)])('refuses the idempotency key %j without calling', async (idempotencyKey) => {
    const calls = counted(() => [200, receipt()]);
    expect(await failure(makeClient().send({ ...PICKUP, idempotencyKey }))).toMatchObject({ code: 'INPUT.INVALID_IDEMPOTENCY_KEY' });
    expect(calls.count).toBe(0);
  });
});

describe('send', () => {
  it('sends the idempotency key as requestId with the rendered content, and returns the receipt', async () => {
    let body: unknown;
    nock(BASE)
      .post('/v1/messages', (b) => {
        body = b;
        return true;
      })
      .reply(200, receipt());
    await expect(makeClient().send(PICKUP)).resolves.toEqual({ messageId: 'M1230000000001', acceptedAt: ACCEPTED_AT, duplicate: false });
    expect(body).toEqual({
      requestId: PICKUP.idempotencyKey,
      channel: 'SMS',
      to: '13800138000',
      templateCode: 'PICKUP_READY',
      params: PICKUP.params,
      businessNo: 'CY2024050100001',
      content: PICKUP_SMS,
    });
  });

  it('sends an e-mail with its subject, and leaves businessNo out when the message has none', async () => {
    let body: Record<string, unknown> = {};
    nock(BASE)
      .post('/v1/messages', (b) => {
        body = b;
        return true;
      })
      .reply(200, receipt('ops:transfer:CY2024050100001'));
    await makeClient().send({
      idempotencyKey: 'ops:transfer:CY2024050100001',
      channel: 'EMAIL',
      to: 'ops@tongban.example.cn',
      template: 'TRANSFER_FAILED',
      params: { businessNo: 'CY2024050100001', reason: '政务专递下单失败' },
    });
    expect(body).toMatchObject({ channel: 'EMAIL', subject: '川渝通办：材料流转失败告警', templateCode: 'TRANSFER_FAILED' });
    expect(body).not.toHaveProperty('businessNo');
  });

  it('a resend carries the same requestId and the same bytes, and reports the gateway’s duplicate', async () => {
    const spy = spyFetch();
    nock(BASE).post('/v1/messages').reply(200, receipt()).post('/v1/messages').reply(200, receipt(undefined, { duplicate: true }));
    const client = makeClient({ fetch: spy.fetch });
    const first = await client.send(PICKUP);
    const again = await client.send({ ...PICKUP, params: { ...PICKUP.params } });
    expect(spy.sent[1]!.body).toBe(spy.sent[0]!.body);
    expect(JSON.parse(spy.sent[0]!.body)).toMatchObject({ requestId: PICKUP.idempotencyKey });
    expect(spy.sent[1]!.headers['x-notify-nonce']).not.toBe(spy.sent[0]!.headers['x-notify-nonce']);
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ ...first, duplicate: true });
  });

  it('is never retried by the client, whatever the failure', async () => {
    const calls = counted(() => [503, refused(50301, '系统繁忙')]);
    expect(await failure(makeClient().send(PICKUP))).toBeInstanceOf(PlatformUnavailableError);
    expect(calls.count).toBe(1);
  });

  it('is not retried after a timeout either', async () => {
    nock(BASE).post('/v1/messages').delay(1_000).reply(200, receipt());
    const error = await failure(makeClient({ timeoutMs: 50 }).send(PICKUP));
    expect(error).toMatchObject({ code: 'PLATFORM.NOTIFY_UNAVAILABLE', retryable: true });
    expect((error as Error).message).toContain('超时');
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('error mapping', () => {
  const unavailable = { code: 'PLATFORM.NOTIFY_UNAVAILABLE', retryable: true };
  const rejectedWith = (platformCode: string) => ({ code: 'PLATFORM.NOTIFY_REJECTED', retryable: false, platformCode });
  const httpDate = new Date(T0 + 30_000).toUTCString();

  it.each([
    ['500 SYSTEM_ERROR', 500, refused(50001), {}, PlatformUnavailableError, unavailable],
    ['503 SYSTEM_BUSY', 503, refused(50301), {}, PlatformUnavailableError, unavailable],
    ['502 from a proxy, HTML body', 502, '<html>Bad Gateway</html>', {}, PlatformUnavailableError, unavailable],
    ['429 with Retry-After seconds', 429, refused(42901), { 'retry-after': '7' }, PlatformUnavailableError, { ...unavailable, retryAfterMs: 7_000 }],
    ['429 with an HTTP-date Retry-After', 429, refused(42901), { 'retry-after': httpDate }, PlatformUnavailableError, { retryAfterMs: 30_000 }],
    ['429 without Retry-After', 429, refused(42901), {}, PlatformUnavailableError, { retryAfterMs: undefined }],
    ['200 with a busy code', 200, refused(50301), {}, PlatformUnavailableError, unavailable],
    ['400 TEMPLATE_MISMATCH', 400, refused(40003), {}, PlatformRejectedError, rejectedWith('40003')],
    ['401 SIGNATURE_INVALID', 401, refused(40101), {}, PlatformRejectedError, rejectedWith('40101')],
    ['409 IDEMPOTENCY_CONFLICT', 409, refused(40901), {}, PlatformRejectedError, rejectedWith('40901')],
    ['404 without an envelope', 404, 'Not Found', {}, PlatformRejectedError, rejectedWith('HTTP_404')],
    ['200 RECIPIENT_BLOCKED', 200, refused(20001, '已退订'), {}, PlatformRejectedError, rejectedWith('20001')],
    ['truncated JSON', 200, '{"code":0,"message":"成', {}, PlatformBadResponseError, { code: 'PLATFORM.NOTIFY_BAD_RESPONSE' }],
    ['another envelope', 200, { success: true, result: {} }, {}, PlatformBadResponseError, { code: 'PLATFORM.NOTIFY_BAD_RESPONSE' }],
    ['success without data', 200, { code: 0, message: '成功' }, {}, PlatformBadResponseError, {}],
    ['a receipt without messageId', 200, okData({ requestId: PICKUP.idempotencyKey, acceptedAt: ACCEPTED_AT, duplicate: false }), {}, PlatformBadResponseError, {}],
    ['acceptedAt without an offset', 200, receipt(undefined, { acceptedAt: '2024-05-01 09:30:00' }), {}, PlatformBadResponseError, {}],
    ['a receipt for another request', 200, receipt('notify:someone-else'), {}, PlatformBadResponseError, {}],
    ['201, outside the contract', 201, receipt(), {}, PlatformBadResponseError, {}],
    ['a redirect', 302, '', { location: 'https://elsewhere.test/v1/messages' }, PlatformBadResponseError, {}],
  ] as const)('%s', async (_label, status, body, headers, type, expected) => {
    const calls = counted(() => [status, body, headers]);
    const error = await failure(makeClient().send(PICKUP));
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject(expected);
    expect(calls.count).toBe(1);
  });

  it('a network failure is UNAVAILABLE', async () => {
    nock(BASE).post('/v1/messages').replyWithError('socket hang up');
    const error = await failure(makeClient().send(PICKUP));
    expect(error).toMatchObject(unavailable);
    expect((error as Error).message).toContain('网络错误');
  });
});

describe('status', () => {
  const report = {
    messageId: 'M1230000000001',
    requestId: PICKUP.idempotencyKey,
    channel: 'SMS',
    status: 'FAILED',
    acceptedAt: ACCEPTED_AT,
    updatedAt: '2024-05-01T09:30:05.000+08:00',
    failureReason: '空号',
  };

  it('is a signed GET over the empty body, mapped to a delivery report', async () => {
    const spy = spyFetch();
    nock(BASE).get('/v1/messages/M1230000000001').reply(200, okData(report));
    await expect(makeClient({ fetch: spy.fetch }).status('M1230000000001')).resolves.toEqual({
      messageId: 'M1230000000001',
      idempotencyKey: PICKUP.idempotencyKey,
      channel: 'SMS',
      status: 'FAILED',
      acceptedAt: ACCEPTED_AT,
      updatedAt: '2024-05-01T09:30:05.000+08:00',
      failureReason: '空号',
    });
    const [request] = spy.sent;
    expect(request).toMatchObject({ method: 'GET', body: '' });
    expect(request!.headers).not.toHaveProperty('content-type');
    expect(request!.headers['x-notify-signature']).toBe(referenceSign(SECRET, APP, String(T0), request!.headers['x-notify-nonce']!, ''));
  });

  it('answers null for an unknown message, and for an id that cannot exist without asking', async () => {
    nock(BASE).get('/v1/messages/M9990000000001').reply(404, refused(40402, '消息不存在'));
    await expect(makeClient().status('M9990000000001')).resolves.toBeNull();
    await expect(makeClient().status('../v1/messages')).resolves.toBeNull();
  });

  it('does not mistake a missing endpoint or another message for an unknown one', async () => {
    nock(BASE)
      .get('/v1/messages/M1230000000001')
      .reply(404, refused(40401, '接口不存在'))
      .get('/v1/messages/M1230000000001')
      .reply(200, okData({ ...report, messageId: 'M1230000000002' }));
    const client = makeClient();
    expect(await failure(client.status('M1230000000001'))).toMatchObject({ platformCode: '40401' });
    expect(await failure(client.status('M1230000000001'))).toBeInstanceOf(PlatformBadResponseError);
  });
});

describe('circuit breaker', () => {
  it('opens after N unavailable calls, fails fast, half-opens after the reset and closes on a good probe', async () => {
    let healthy = false;
    const calls = counted(() => (healthy ? [200, receipt()] : [503, refused(50301)]));
    const client = makeClient({ circuitBreaker: { failureThreshold: 3, resetAfterMs: 10_000 } });
    for (let i = 0; i < 3; i += 1) expect(await failure(client.send(PICKUP))).toBeInstanceOf(PlatformUnavailableError);
    expect(client.circuitState).toBe('OPEN');

    clock += 4_000;
    const fast = (await failure(client.send(PICKUP))) as PlatformUnavailableError;
    expect(fast).toMatchObject({ code: 'PLATFORM.NOTIFY_UNAVAILABLE', retryAfterMs: 6_000 });
    expect(fast.cause).toBeInstanceOf(CircuitOpenError);
    expect(calls.count).toBe(3);

    clock += 6_000;
    expect(client.circuitState).toBe('HALF_OPEN');
    expect(await failure(client.send(PICKUP))).toBeInstanceOf(PlatformUnavailableError);
    expect(calls.count).toBe(4);
    expect(client.circuitState).toBe('OPEN');

    clock += 10_000;
    healthy = true;
    await expect(client.send(PICKUP)).resolves.toMatchObject({ messageId: 'M1230000000001' });
    expect(client.circuitState).toBe('CLOSED');
    expect(calls.count).toBe(5);
  });

  it('does not count rejections, bad responses or refused input as failures', async () => {
    let n = 0;
    counted(() => ((n += 1) % 2 ? [400, refused(40003)] : [200, '{"truncated']));
    const client = makeClient({ circuitBreaker: { failureThreshold: 2, resetAfterMs: 10_000 } });
    for (let i = 0; i < 6; i += 1) await failure(client.send(PICKUP));
    for (let i = 0; i < 3; i += 1) await failure(client.send({ ...PICKUP, to: 'not-a-phone' }));
    expect(client.circuitState).toBe('CLOSED');
  });
});
