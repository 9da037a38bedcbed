import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failure } from '../support/client-test.kit.js';
import { InputError, NotFoundError } from '../../domain/errors.js';
import { CourierClient, verifyCourierPush, type CourierClientOptions } from '../../adapters/courier/courier.client.js';
import type { CreateWaybillRequest, TrackingPush, WaybillState } from '../../adapters/courier/courier.port.js';
import { startCourierSandbox, type CourierSandbox } from '../../adapters/courier/courier.sandbox.js';
import { PlatformBadResponseError, PlatformRejectedError, PlatformUnavailableError, WebhookRejectedError } from '../../adapters/platform.errors.js';
import type { NonceStore } from '../../adapters/platform.port.js';

const PARTNER = 'tongban-it';
const SECRET = 'courier-integration-secret';
const HOOK_PATH = '/hooks/courier';
const DOMESTIC_WAYBILL_NO = /^[189]\d{12}$/;

class MemoryNonceStore implements NonceStore {
  private readonly seen = new Map<string, number>();
  async claim(nonce: string, ttlSeconds: number): Promise<boolean> {
    const expiresAt = this.seen.get(nonce);
    if (expiresAt !== undefined && expiresAt > Date.now()) return false;
    this.seen.set(nonce, Date.now() + ttlSeconds * 1000);
    return true;
  }
}

/** The receiving side as the gateway would run it: verify, then acknowledge; failures can be forced per waybill. */
interface Receiver {
  url: string;
  server: Server;
  accepted: { push: TrackingPush; nonce: string }[];
  rejections: WebhookRejectedError[];
  /** Waybills whose next N verified pushes are answered 500 after verification. */
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
  const receiver: Omit<Receiver, 'url' | 'server'> = { accepted: [], rejections: [], failNext: new Map() };
  const server = createServer(async (req, res) => {
    const rawBody = await readAll(req);
    try {
      const push = await verifyCourierPush({ headers: req.headers, rawBody }, { partnerId: PARTNER, secret: SECRET, nonceStore });
      const failures = receiver.failNext.get(push.waybillNo) ?? 0;
      if (failures > 0) {
        receiver.failNext.set(push.waybillNo, failures - 1);
        res.writeHead(500).end();
        return;
      }
      receiver.accepted.push({ push, nonce: String(req.headers['x-courier-nonce']) });
      res.writeHead(204).end();
    } catch (error) {
      if (error instanceof WebhookRejectedError) receiver.rejections.push(error);
      res.writeHead(401).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { ...receiver, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let sandbox: CourierSandbox;
let receiver: Receiver;
let client: CourierClient;
let businessSeq = 0;

function newClient(overrides: Partial<CourierClientOptions> = {}, target: CourierSandbox = sandbox) {
  return new CourierClient({ baseUrl: target.url, partnerId: PARTNER, secret: SECRET, timeoutMs: 2_000, retries: 2, retryBaseMs: 5, ...overrides });
}

function order(overrides: Partial<CreateWaybillRequest> = {}): CreateWaybillRequest {
  businessSeq += 1;
  const businessNo = `CY20240501${String(businessSeq).padStart(5, '0')}`;
  return {
    idempotencyKey: `ship:${businessNo}:MATERIALS`,
    businessNo,
    purpose: 'MATERIALS',
    sender: { name: '成都市政务服务中心川渝通办窗口', phone: '028-61881234', address: '四川省成都市高新区锦城大道 366 号', postcode: '610041', divisionCode: '510100' },
    recipient: { name: '重庆市政务服务中心川渝通办窗口', phone: '023-63211234', address: '重庆市渝北区青枫北路 1 号', postcode: '401147', divisionCode: '500112' },
    contents: ['水利工程质量检测单位资质申请表', '营业执照（复印件）'],
    costBearer: 'JURISDICTION',
    ...overrides,
  };
}

const pushesOf = (waybillNo: string) => receiver.accepted.filter((entry) => entry.push.waybillNo === waybillNo).map((entry) => entry.push);

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await startCourierSandbox({
    port: 0,
    partnerId: PARTNER,
    secret: SECRET,
    pushUrl: `${receiver.url}${HOOK_PATH}`,
    pushRetryDelayMs: 10,
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

describe('ordering', () => {
  it('creates one waybill with a domestic number however often the same order is repeated', async () => {
    const request = order();
    const first = await client.createWaybill(request);
    const again = await client.createWaybill({ ...request });
    expect(first.waybillNo).toMatch(DOMESTIC_WAYBILL_NO);
    expect(again).toEqual(first);
    expect(first).toMatchObject({ businessNo: request.businessNo, purpose: 'MATERIALS', state: 'ORDERED' });
    expect(first.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
    expect(first.events).toEqual([{ seq: 1, state: 'ORDERED', at: first.createdAt, place: '网上下单', note: '已下单，等待揽收' }]);
    expect(sandbox.waybills().filter((waybill) => waybill.businessNo === request.businessNo)).toHaveLength(1);
    expect(sandbox.requestCounts()['POST /v1/waybills']).toBe(2);
  });

  it('gives the materials and the result of one case two waybills, and refuses a reused key with another order', async () => {
    const materials = order();
    const result = { ...materials, idempotencyKey: `ship:${materials.businessNo}:RESULT`, purpose: 'RESULT' as const, costBearer: 'APPLICANT' as const };
    const [a, b] = [await client.createWaybill(materials), await client.createWaybill(result)];
    expect(a.waybillNo).not.toBe(b.waybillNo);
    expect(b).toMatchObject({ businessNo: materials.businessNo, purpose: 'RESULT' });
    expect(sandbox.waybills().find((waybill) => waybill.waybillNo === b.waybillNo)).toMatchObject({ bizType: '02', feePayer: '3' });
    expect(await failure(client.createWaybill({ ...materials, contents: ['别的材料'] }))).toMatchObject({
      code: 'PLATFORM.COURIER_REJECTED',
      platformCode: 'IDEMPOTENCY_CONFLICT',
    });
  });

  it('rejects a client with the wrong secret or partner id, a skewed clock and a replayed nonce', async () => {
    const wrongSecret = await failure(newClient({ secret: 'not-the-secret' }).track(['1000000000001']));
    expect(wrongSecret).toBeInstanceOf(PlatformRejectedError);
    expect(wrongSecret).toMatchObject({ platformCode: 'SIGN_ERROR' });
    expect(await failure(newClient({ partnerId: 'stranger' }).track(['1000000000001']))).toMatchObject({ platformCode: 'PARTNER_UNKNOWN' });
    expect(await failure(newClient({ now: () => Date.now() - 6 * 60_000 }).track(['1000000000001']))).toMatchObject({ platformCode: 'TIMESTAMP_EXPIRED' });
    const fixedNonce = newClient({ nonce: () => 'always-the-same-nonce' });
    await fixedNonce.track(['1000000000001']);
    expect(await failure(fixedNonce.track(['1000000000001']))).toMatchObject({ platformCode: 'NONCE_REPLAYED' });
  });
});

describe('tracking', () => {
  it('tracks in chunks of 50, aligned with the input, null for unknown and impossible numbers', async () => {
    const created = await Promise.all([order(), order(), order()].map((request) => client.createWaybill(request)));
    const unknown = Array.from({ length: 116 }, (_, i) => `9${String(i).padStart(12, '0')}`);
    const asked = [created[0]!.waybillNo, ...unknown.slice(0, 60), created[1]!.waybillNo, 'not-a-waybill', ...unknown.slice(60), created[2]!.waybillNo];
    expect(asked).toHaveLength(120);
    const result = await client.track(asked);
    expect(result).toHaveLength(120);
    expect(result[0]).toEqual(created[0]);
    expect(result[61]).toEqual(created[1]);
    expect(result[119]).toEqual(created[2]);
    expect(result.filter((waybill) => waybill !== null)).toHaveLength(3);
    expect(sandbox.requestCounts()['POST /v1/waybills/track']).toBe(3);
  });
});

describe('cancellation', () => {
  it('cancels before 揽收 (also when repeated) and pushes the cancellation', async () => {
    const created = await client.createWaybill(order());
    const cancelled = await client.cancel(created.waybillNo);
    expect(cancelled).toMatchObject({ waybillNo: created.waybillNo, state: 'CANCELLED' });
    expect(cancelled.events.map((event) => event.state)).toEqual(['ORDERED', 'CANCELLED']);
    expect(await client.cancel(created.waybillNo)).toEqual(cancelled);
    await sandbox.pushesSettled();
    expect(pushesOf(created.waybillNo)).toMatchObject([{ seq: 2, state: 'CANCELLED' }]);
    expect(await sandbox.advance(created.waybillNo)).toEqual([]);
  });

  it('refuses after 揽收 with CANCEL_NOT_ALLOWED and leaves the waybill moving', async () => {
    const created = await client.createWaybill(order());
    await sandbox.advance(created.waybillNo);
    const error = await failure(client.cancel(created.waybillNo));
    expect(error).toBeInstanceOf(PlatformRejectedError);
    expect(error).toMatchObject({ code: 'PLATFORM.COURIER_REJECTED', platformCode: 'CANCEL_NOT_ALLOWED' });
    expect((await client.track([created.waybillNo]))[0]).toMatchObject({ state: 'COLLECTED' });
    expect(sandbox.requestCounts()['POST /v1/waybills/{no}/cancel']).toBe(1);
  });

  it('refuses an unknown waybill with WAYBILL_NOT_FOUND', async () => {
    expect(await failure(client.cancel('8000000000000'))).toMatchObject({ platformCode: 'WAYBILL_NOT_FOUND' });
  });
});

describe('progression and pushes', () => {
  it('moves a waybill 揽收 → 在途 → 派件 → 签收 and pushes each step, signed, verified and in seq order', async () => {
    const created = await client.createWaybill(order());
    const states: WaybillState[] = [];
    for (let step = 0; step < 4; step += 1) {
      expect(await sandbox.advance(created.waybillNo)).toHaveLength(1);
      // advance() resolves after delivery: no waiting needed before looking at the receiver.
      expect(pushesOf(created.waybillNo)).toHaveLength(step + 1);
      states.push((await client.track([created.waybillNo]))[0]!.state);
    }
    expect(states).toEqual(['COLLECTED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED']);
    expect(await sandbox.advance(created.waybillNo)).toEqual([]);

    const [delivered] = await client.track([created.waybillNo]);
    const pushed = pushesOf(created.waybillNo);
    expect(pushed.map((push) => [push.seq, push.state])).toEqual([
      [2, 'COLLECTED'],
      [3, 'IN_TRANSIT'],
      [4, 'OUT_FOR_DELIVERY'],
      [5, 'DELIVERED'],
    ]);
    expect(new Set(pushed.map((push) => push.pushId)).size).toBe(4);
    // A push is the trace it announces: same seq, state, time, place and note as tracking shows.
    expect(pushed.map(({ seq, state, at, place, note }) => ({ seq, state, at, place, note }))).toEqual(delivered!.events.slice(1));
    expect(pushed.at(-1)).toMatchObject({ businessNo: created.businessNo, place: '重庆市渝北区青枫北路 1 号', note: '已签收' });
    expect(receiver.rejections).toEqual([]);
  });

  it('takes the 退回 path: 揽收, 异常, 退回, and nothing after', async () => {
    const created = await client.createWaybill(order());
    await sandbox.advance(created.waybillNo);
    expect(await sandbox.advance(created.waybillNo, 'EXCEPTION')).toMatchObject([{ stateCode: '60' }]);
    expect(await sandbox.advance(created.waybillNo, 'RETURNED')).toMatchObject([{ stateCode: '50' }]);
    expect(await sandbox.advance(created.waybillNo)).toEqual([]);
    const [returned] = await client.track([created.waybillNo]);
    expect(returned!.state).toBe('RETURNED');
    expect(returned!.events.map((event) => event.state)).toEqual(['ORDERED', 'COLLECTED', 'EXCEPTION', 'RETURNED']);
    expect(pushesOf(created.waybillNo).map((push) => push.state)).toEqual(['COLLECTED', 'EXCEPTION', 'RETURNED']);
    expect(await failure(sandbox.advance(created.waybillNo, 'DELIVERED'))).toBeInstanceOf(InputError);
  });

  it('resumes an 异常 waybill in transit on the next step', async () => {
    const created = await client.createWaybill(order());
    await sandbox.advance(created.waybillNo, 'EXCEPTION');
    expect(await sandbox.advance(created.waybillNo)).toMatchObject([{ stateCode: '20' }]);
  });

  it('refuses impossible moves and unknown waybills', async () => {
    const created = await client.createWaybill(order());
    expect(await failure(sandbox.advance(created.waybillNo, 'ORDERED'))).toBeInstanceOf(InputError);
    await sandbox.advance(created.waybillNo);
    expect(await failure(sandbox.advance(created.waybillNo, 'CANCELLED'))).toBeInstanceOf(InputError);
    expect(await failure(sandbox.advance('8000000000001'))).toBeInstanceOf(NotFoundError);
  });

  it('moves every open waybill when none is named', async () => {
    const open = await Promise.all([order(), order()].map((request) => client.createWaybill(request)));
    const moved = await sandbox.advance();
    for (const created of open) expect(moved.find((waybill) => waybill.waybillNo === created.waybillNo)).toMatchObject({ stateCode: '10' });
    expect(moved.every((waybill) => !['40', '50', '90'].includes(waybill.traces.at(-2)!.stateCode))).toBe(true);
  });

  it('retries a push the receiver refused, signed afresh, and gives up after the last attempt', async () => {
    const created = await client.createWaybill(order());
    receiver.failNext.set(created.waybillNo, 2);
    await sandbox.advance(created.waybillNo);
    const attempts = sandbox.pushes().filter((entry) => entry.waybillNo === created.waybillNo);
    expect(attempts.map((entry) => [entry.attempt, entry.outcome, entry.status])).toEqual([
      [1, 'FAILED', 500],
      [2, 'FAILED', 500],
      [3, 'DELIVERED', 204],
    ]);
    expect(new Set(attempts.map((entry) => entry.pushId)).size).toBe(1);
    expect(new Set(attempts.map((entry) => entry.nonce)).size).toBe(3);
    expect(pushesOf(created.waybillNo)).toHaveLength(1);

    receiver.failNext.set(created.waybillNo, 4);
    await sandbox.advance(created.waybillNo);
    const second = sandbox.pushes().filter((entry) => entry.waybillNo === created.waybillNo && entry.seq === 3);
    expect(second.map((entry) => entry.outcome)).toEqual(['FAILED', 'FAILED', 'FAILED', 'FAILED', 'GAVE_UP']);
    expect(pushesOf(created.waybillNo)).toHaveLength(1);
  });
});

describe('duplicate, forged and out-of-order pushes', () => {
  it('replayPush delivers a duplicate — same pushId and seq, fresh nonce — that the receiver deduplicates by pushId', async () => {
    const created = await client.createWaybill(order());
    await sandbox.advance(created.waybillNo);
    const [original] = receiver.accepted.filter((entry) => entry.push.waybillNo === created.waybillNo);
    const replay = await sandbox.replayPush(original!.push.pushId);
    expect(replay).toMatchObject({ kind: 'REPLAY', outcome: 'DELIVERED', pushId: original!.push.pushId, seq: 2 });
    const copies = receiver.accepted.filter((entry) => entry.push.pushId === original!.push.pushId);
    expect(copies).toHaveLength(2);
    expect(copies[1]!.push).toEqual(copies[0]!.push);
    expect(copies[1]!.nonce).not.toBe(copies[0]!.nonce);
    expect(new Map(copies.map((entry) => [entry.push.pushId, entry.push])).size).toBe(1);
    expect(await failure(sandbox.replayPush('P-NONE'))).toBeInstanceOf(NotFoundError);
  });

  it('a receiver refuses forged, stale and nonce-replayed pushes', async () => {
    const created = await client.createWaybill(order());
    const raw = { pushId: 'P-CRAFTED-1', waybillNo: created.waybillNo, businessNo: created.businessNo, seq: 2, stateCode: '40', time: '2024-05-01 10:00:00', place: '伪造' };
    const rejectedBefore = receiver.rejections.length;
    expect((await sandbox.sendPush(raw, { signWith: 'guessed-secret' })).status).toBe(401);
    expect((await sandbox.sendPush(raw, { timestamp: Date.now() - 10 * 60_000 })).status).toBe(401);
    const genuine = await sandbox.sendPush(raw);
    expect(genuine.status).toBe(204);
    expect((await sandbox.sendPush(raw, { nonce: genuine.nonce, timestamp: genuine.timestamp })).status).toBe(401);
    expect((await sandbox.sendPush('{"pushId":')).status).toBe(401);
    expect(receiver.rejections.slice(rejectedBefore).map((error) => error.reason)).toEqual(['BAD_SIGNATURE', 'STALE_TIMESTAMP', 'REPLAYED', 'MALFORMED']);
    expect(pushesOf(created.waybillNo)).toHaveLength(1);
  });

  it('a late push with a lower seq does not move a waybill back: the receiver orders by seq', async () => {
    const created = await client.createWaybill(order());
    await sandbox.advance(created.waybillNo);
    await sandbox.advance(created.waybillNo);
    const [collected] = pushesOf(created.waybillNo);
    expect((await sandbox.replayPush(collected!.pushId)).outcome).toBe('DELIVERED');
    const arrival = pushesOf(created.waybillNo);
    expect(arrival.map((push) => push.seq)).toEqual([2, 3, 2]);
    const latest = arrival.reduce((newest, push) => (push.seq > newest.seq ? push : newest));
    expect(latest.state).toBe('IN_TRANSIT');
  });
});

describe('faults', () => {
  it('5xx: track is retried and fails UNAVAILABLE; create is sent once', async () => {
    sandbox.setFaults({ errorRate: 1 });
    expect(await failure(client.track(['1000000000001']))).toBeInstanceOf(PlatformUnavailableError);
    expect(sandbox.requestCounts()['POST /v1/waybills/track']).toBe(3);
    expect(await failure(client.createWaybill(order()))).toMatchObject({ code: 'PLATFORM.COURIER_UNAVAILABLE' });
    expect(sandbox.requestCounts()['POST /v1/waybills']).toBe(1);
  });

  it('a truncated answer to a create is BAD_RESPONSE; re-ordering with the same key finds the waybill it created', async () => {
    const request = order();
    sandbox.setFaults({ malformedRate: 1 });
    expect(await failure(client.createWaybill(request))).toBeInstanceOf(PlatformBadResponseError);
    sandbox.setFaults({});
    const waybill = await client.createWaybill(request);
    expect(sandbox.waybills().filter((record) => record.businessNo === request.businessNo)).toEqual([
      expect.objectContaining({ waybillNo: waybill.waybillNo }),
    ]);
  });

  it('a request never answered times out as UNAVAILABLE', async () => {
    sandbox.setFaults({ timeoutRate: 1 });
    const started = Date.now();
    const error = await failure(newClient({ timeoutMs: 100, retries: 0 }).track(['1000000000001']));
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect((error as Error).message).toContain('超时');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('latency within the timeout is only slower; 429 carries Retry-After', async () => {
    sandbox.setFaults({ latencyMs: 50 });
    const started = Date.now();
    await expect(client.track(['1000000000001'])).resolves.toEqual([null]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    sandbox.setFaults({ rateLimitRate: 1, retryAfterSeconds: 3 });
    expect(await failure(client.track(['1000000000001']))).toMatchObject({ code: 'PLATFORM.COURIER_UNAVAILABLE', retryAfterMs: 3_000 });
    expect(sandbox.requestCounts()['POST /v1/waybills/track']).toBe(2);
  });

  it('one seed, one sequence of faults', async () => {
    const outcomes = async () => {
      const seeded = await startCourierSandbox({ partnerId: PARTNER, secret: SECRET, seed: 42, faults: { errorRate: 0.5 } });
      try {
        const seededClient = newClient({ retries: 0 }, seeded);
        const results: string[] = [];
        for (let i = 0; i < 12; i += 1) {
          results.push(await seededClient.track(['1000000000001']).then(() => 'ok', (error: { code: string }) => error.code));
        }
        return results;
      } finally {
        await seeded.close();
      }
    };
    const first = await outcomes();
    expect(new Set(first)).toEqual(new Set(['ok', 'PLATFORM.COURIER_UNAVAILABLE']));
    expect(await outcomes()).toEqual(first);
  });
});

describe('lifecycle', () => {
  it('moves waybills on its own every stepMs and pushes each step', async () => {
    const stepping = await startCourierSandbox({ partnerId: PARTNER, secret: SECRET, pushUrl: `${receiver.url}${HOOK_PATH}`, stepMs: 20 });
    try {
      const created = await newClient({}, stepping).createWaybill(order());
      const deadline = Date.now() + 5_000;
      while (stepping.waybills()[0]!.stateCode !== '40' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      await stepping.pushesSettled();
      expect(stepping.waybills()[0]!.traces.map((trace) => trace.stateCode)).toEqual(['0', '10', '20', '30', '40']);
      // By business number: another sandbox instance may issue the same waybill number.
      const pushed = receiver.accepted.filter((entry) => entry.push.businessNo === created.businessNo).map((entry) => entry.push.state);
      expect(pushed).toEqual(['COLLECTED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED']);
    } finally {
      await stepping.close();
    }
  });

  it('close() ends promptly with a request hanging on a socket', async () => {
    const hanging = await startCourierSandbox({ partnerId: PARTNER, secret: SECRET, faults: { timeoutRate: 1 } });
    const pending = failure(newClient({ timeoutMs: 30_000, retries: 0 }, hanging).track(['1000000000001']));
    while (hanging.requestCounts()['POST /v1/waybills/track'] !== 1) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = Date.now();
    await hanging.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await pending).toBeInstanceOf(PlatformUnavailableError);
  });
});
