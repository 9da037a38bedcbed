import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { failure } from '../support/client-test.kit.js';
import { CircuitOpenError } from '../../adapters/circuit-breaker.js';
import { NotifyClient, type NotifyClientOptions } from '../../adapters/notify/notify.client.js';
import type { OutboundMessage } from '../../adapters/notify/notify.port.js';
import { startNotifySandbox, type NotifySandbox } from '../../adapters/notify/notify.sandbox.js';
import { newNotifyNonce, signedNotifyHeaders } from '../../adapters/notify/notify.signature.js';
import { PlatformBadResponseError, PlatformRejectedError, PlatformUnavailableError } from '../../adapters/platform.errors.js';

const APP_ID = 'tongban-it';
const SECRET = 'notify-integration-secret';
const BLOCKED_PHONE = '13900000000';

let sandbox: NotifySandbox;
let keySeq = 0;

function newClient(overrides: Partial<NotifyClientOptions> = {}) {
  return new NotifyClient({ baseUrl: sandbox.url, appId: APP_ID, secret: SECRET, timeoutMs: 2_000, ...overrides });
}

/** A fresh idempotency key per message, so tests never see each other's sends as duplicates. */
function pickup(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  keySeq += 1;
  const businessNo = `CY20240501${String(keySeq).padStart(5, '0')}`;
  return {
    idempotencyKey: `notify:${businessNo}:PICKUP_READY:SMS`,
    channel: 'SMS',
    to: '13800138000',
    template: 'PICKUP_READY',
    params: { itemName: '律师执业许可', windowName: '成都市政务服务中心川渝通办窗口' },
    businessNo,
    ...overrides,
  };
}

beforeAll(async () => {
  sandbox = await startNotifySandbox({ port: 0, appId: APP_ID, secret: SECRET, seed: 7, blockedRecipients: [BLOCKED_PHONE] });
});

afterAll(async () => {
  await sandbox.close();
});

beforeEach(() => {
  sandbox.setFaults({});
  sandbox.clearOutbox();
  sandbox.resetCounts();
});

describe('sending', () => {
  it('sends an SMS: the outbox holds the rendered text with the signature', async () => {
    const message = pickup();
    const receipt = await newClient().send(message);
    expect(receipt).toMatchObject({ duplicate: false, messageId: expect.stringMatching(/^M\d{13}$/) });
    expect(receipt.acceptedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/);
    expect(sandbox.outbox()).toEqual([
      {
        messageId: receipt.messageId,
        requestId: message.idempotencyKey,
        channel: 'SMS',
        to: '13800138000',
        template: 'PICKUP_READY',
        params: message.params,
        businessNo: message.businessNo,
        text: `【川渝通办】您申请的律师执业许可办理结果已送达成都市政务服务中心川渝通办窗口，请携带身份证件领取。业务编号：${message.businessNo}`,
        receivedAt: receipt.acceptedAt,
      },
    ]);
  });

  it('sends an e-mail with its subject', async () => {
    const message = pickup({
      idempotencyKey: `ops:transfer:${(keySeq += 1)}`,
      channel: 'EMAIL',
      to: 'ops@tongban.example.cn',
      template: 'TRANSFER_FAILED',
      params: { reason: '政务专递下单失败' },
    });
    const receipt = await newClient().send(message);
    const [entry] = sandbox.outbox();
    expect(entry).toMatchObject({
      messageId: receipt.messageId,
      channel: 'EMAIL',
      to: 'ops@tongban.example.cn',
      template: 'TRANSFER_FAILED',
      subject: '川渝通办：材料流转失败告警',
    });
    expect(entry!.text).toBe(`办件${message.businessNo}材料流转失败（政务专递下单失败），请运维人员及时处理。\n\n本邮件由川渝通办系统自动发送，请勿直接回复。`);
  });

  it('a duplicate send is one outbox entry; the second receipt says duplicate', async () => {
    const message = pickup();
    const client = newClient();
    const first = await client.send(message);
    const second = await client.send({ ...message, params: { ...message.params } });
    expect(second).toEqual({ ...first, duplicate: true });
    expect(sandbox.outbox()).toHaveLength(1);
    expect(sandbox.requestCounts()).toEqual({ 'POST /v1/messages': 2 });
  });

  it('the same key with different content is REJECTED 40901 and sends nothing new', async () => {
    const message = pickup();
    const client = newClient();
    await client.send(message);
    const error = await failure(client.send({ ...message, params: { ...message.params, windowName: '重庆市政务服务中心川渝通办窗口' } }));
    expect(error).toBeInstanceOf(PlatformRejectedError);
    expect(error).toMatchObject({ code: 'PLATFORM.NOTIFY_REJECTED', platformCode: '40901' });
    expect(sandbox.outbox()).toHaveLength(1);
  });

  it('reports a sent message as delivered, and an unknown id as null', async () => {
    const client = newClient();
    const message = pickup();
    const receipt = await client.send(message);
    await expect(client.status(receipt.messageId)).resolves.toEqual({
      messageId: receipt.messageId,
      idempotencyKey: message.idempotencyKey,
      channel: 'SMS',
      status: 'DELIVERED',
      acceptedAt: receipt.acceptedAt,
      updatedAt: receipt.acceptedAt,
    });
    await expect(client.status('M0000000000000')).resolves.toBeNull();
    expect(sandbox.requestCounts()['GET /v1/messages/{id}']).toBe(2);
  });

  it('a recipient who unsubscribed is a business refusal: REJECTED 20001', async () => {
    expect(await failure(newClient().send(pickup({ to: BLOCKED_PHONE })))).toMatchObject({
      code: 'PLATFORM.NOTIFY_REJECTED',
      platformCode: '20001',
    });
    expect(sandbox.outbox()).toEqual([]);
  });

  it('refuses content that is not the registered template filled in: 40003', async () => {
    const body = JSON.stringify({
      requestId: `raw:${(keySeq += 1)}`,
      channel: 'SMS',
      to: '13800138000',
      templateCode: 'PICKUP_READY',
      params: { itemName: '律师执业许可', windowName: '成都市政务服务中心川渝通办窗口', businessNo: 'CY2024050100001' },
      content: '【川渝通办】您的办件已办结，请点击 http://phish.example 查看',
    });
    const response = await fetch(`${sandbox.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        ...signedNotifyHeaders({ appId: APP_ID, secret: SECRET, body, now: Date.now(), nonce: newNotifyNonce() }),
      },
      body,
    });
    expect(response.status).toBe(400);
    await expect(response.json()).resolves.toMatchObject({ code: 40003 });
    expect(sandbox.outbox()).toEqual([]);
  });
});

describe('authentication', () => {
  it.each([
    ['a wrong secret', { secret: 'not-the-secret' }, '40101'],
    ['an unknown app id', { appId: 'someone-else' }, '40104'],
    ['a clock 6 minutes behind', { now: () => Date.now() - 360_000 }, '40102'],
  ] as const)('%s is REJECTED %s and nothing is sent', async (_label, overrides, platformCode) => {
    const error = await failure(newClient(overrides).send(pickup()));
    expect(error).toBeInstanceOf(PlatformRejectedError);
    expect(error).toMatchObject({ code: 'PLATFORM.NOTIFY_REJECTED', platformCode });
    expect(sandbox.outbox()).toEqual([]);
  });

  it('a replayed nonce is REJECTED 40103', async () => {
    const nonce = newNotifyNonce();
    const client = newClient({ nonce: () => nonce });
    await client.send(pickup());
    expect(await failure(client.send(pickup()))).toMatchObject({ platformCode: '40103' });
    expect(sandbox.outbox()).toHaveLength(1);
  });
});

describe('faults', () => {
  it('500/503: UNAVAILABLE, nothing sent; the retry with the same key is the first send', async () => {
    sandbox.setFaults({ errorRate: 1 });
    const message = pickup();
    const client = newClient();
    const error = await failure(client.send(message));
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect(error).toMatchObject({ code: 'PLATFORM.NOTIFY_UNAVAILABLE', retryAfterMs: undefined });
    expect(sandbox.outbox()).toEqual([]);

    sandbox.setFaults({});
    await expect(client.send(message)).resolves.toMatchObject({ duplicate: false });
    expect(sandbox.outbox()).toHaveLength(1);
  });

  it('429: UNAVAILABLE with retryAfterMs from Retry-After', async () => {
    sandbox.setFaults({ rateLimitRate: 1, retryAfterSeconds: 7 });
    expect(await failure(newClient().send(pickup()))).toMatchObject({ code: 'PLATFORM.NOTIFY_UNAVAILABLE', retryAfterMs: 7_000 });
    expect(sandbox.outbox()).toEqual([]);
  });

  it('a malformed answer is BAD_RESPONSE although the message was sent; the retry is a duplicate, not a second SMS', async () => {
    sandbox.setFaults({ malformedRate: 1 });
    const message = pickup();
    const client = newClient();
    expect(await failure(client.send(message))).toBeInstanceOf(PlatformBadResponseError);
    expect(sandbox.outbox()).toHaveLength(1);

    sandbox.setFaults({});
    const retried = await client.send(message);
    expect(retried).toMatchObject({ duplicate: true, messageId: sandbox.outbox()[0]!.messageId });
    expect(sandbox.outbox()).toHaveLength(1);
  });

  it('a hung request: UNAVAILABLE after the client’s short timeout', async () => {
    sandbox.setFaults({ timeoutRate: 1 });
    const started = Date.now();
    const error = await failure(newClient({ timeoutMs: 150 }).send(pickup()));
    expect(error).toMatchObject({ code: 'PLATFORM.NOTIFY_UNAVAILABLE' });
    expect((error as Error).message).toContain('超时');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(sandbox.outbox()).toEqual([]);
  });

  it('an answer slower than the timeout: the send went through, so the retry is a duplicate', async () => {
    sandbox.setFaults({ latencyMs: 400 });
    const message = pickup();
    const client = newClient({ timeoutMs: 100 });
    expect(await failure(client.send(message))).toBeInstanceOf(PlatformUnavailableError);
    await vi.waitFor(() => expect(sandbox.outbox()).toHaveLength(1), { timeout: 2_000 });

    sandbox.setFaults({});
    await expect(client.send(message)).resolves.toMatchObject({ duplicate: true });
    expect(sandbox.outbox()).toHaveLength(1);
  });

  it('the circuit opens after repeated 5xx and then fails without calling', async () => {
    sandbox.setFaults({ errorRate: 1 });
    const client = newClient({ circuitBreaker: { failureThreshold: 2, resetAfterMs: 60_000 } });
    for (let i = 0; i < 2; i += 1) await failure(client.send(pickup()));
    const fast = (await failure(client.send(pickup()))) as PlatformUnavailableError;
    expect(fast.cause).toBeInstanceOf(CircuitOpenError);
    expect(fast.retryAfterMs).toBeGreaterThan(0);
    expect(sandbox.requestCounts()).toEqual({ 'POST /v1/messages': 2 });
  });

  it('the same seed gives the same faults', async () => {
    const runs = await Promise.all(
      [1, 2].map(async () => {
        const own = await startNotifySandbox({ appId: APP_ID, secret: SECRET, seed: 42, faults: { errorRate: 0.5 } });
        const client = new NotifyClient({ baseUrl: own.url, appId: APP_ID, secret: SECRET, timeoutMs: 2_000, circuitBreaker: { failureThreshold: 100 } });
        const outcomes: string[] = [];
        for (let i = 0; i < 12; i += 1) {
          outcomes.push(await client.send(pickup()).then(() => 'sent', () => 'failed'));
        }
        await own.close();
        return outcomes;
      }),
    );
    expect(runs[0]).toEqual(runs[1]);
    expect(new Set(runs[0])).toEqual(new Set(['sent', 'failed']));
  });
});

describe('lifecycle', () => {
  it('close() ends a sandbox promptly even with a request hanging on it', async () => {
    const own = await startNotifySandbox({ appId: APP_ID, secret: SECRET, faults: { timeoutRate: 1 } });
    const client = new NotifyClient({ baseUrl: own.url, appId: APP_ID, secret: SECRET, timeoutMs: 10_000 });
    const pending = failure(client.send(pickup()));
    await vi.waitFor(() => expect(own.requestCounts()['POST /v1/messages']).toBe(1));
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await pending).toBeInstanceOf(PlatformUnavailableError);
    await expect(own.close()).resolves.toBeUndefined();
  });
});
