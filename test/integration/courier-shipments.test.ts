import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchPaper } from '../../jobs/paper-dispatch.js';
import type { WaybillState } from '../../adapters/courier/courier.port.js';
import type { Caller } from '../../lib/auth/caller.js';
import type { ShipmentRecord } from '../../ledger/shipments/shipment.model.js';
import { OPS, startCourierStack, transferredCase, WINDOW_STAFF, type CourierStack } from '../support/courier-stack.js';
import { until } from '../support/until.kit.js';

/**
 * The courier half of the 通办 workflow against the real courier sandbox and real
 * Redis: paper dispatch, signed tracking pushes through the courier subgraph's
 * webhook and the courier-sync worker, the effects on the case, and the reads.
 */
const SHIPMENT = /* GraphQL */ `
  query Shipment($no: ID!) {
    shipment(waybillNo: $no) {
      waybillNo businessNo purpose fromWindowId toWindowId toAddress contents costBearer sendBy
      late attention state collectedAt deliveredAt createdAt
      events { seq state at place note }
    }
  }
`;

const LATE = /* GraphQL */ `
  query { lateShipments { waybillNo late sendBy } }
`;

describe('政务专递 shipments', () => {
  let stack: CourierStack;

  beforeAll(async () => {
    stack = await startCourierStack();
  });

  afterAll(async () => {
    await stack?.close();
  });

  const deps = () => ({ courier: stack.courier, shipments: stack.shipments, directory: stack.directory });

  async function dispatched(options: Parameters<typeof transferredCase>[0] = {}) {
    const kase = transferredCase(options);
    return { kase, shipment: await dispatchPaper(deps(), kase) };
  }

  async function shipment(waybillNo: string, caller: Caller = WINDOW_STAFF) {
    const result = await stack.gql(SHIPMENT, { no: waybillNo }, caller);
    expect(result.errors).toBeUndefined();
    return result.data.shipment;
  }

  async function stored(waybillNo: string): Promise<ShipmentRecord> {
    return (await stack.shipments.get(waybillNo))!;
  }

  /** Moves the sandbox's waybill `steps` steps along, then to `to`, and waits until the worker has applied the pushes. */
  async function advance(waybillNo: string, steps: number, to?: WaybillState) {
    for (let step = 0; step < steps; step++) await stack.sandbox.advance(waybillNo);
    if (to) await stack.sandbox.advance(waybillNo, to);
    await stack.drained();
  }

  const push = (shipment: ShipmentRecord, seq: number, stateCode: string, overrides: Record<string, unknown> = {}) => ({
    pushId: `T${shipment.waybillNo}-${seq}`,
    waybillNo: shipment.waybillNo,
    businessNo: shipment.businessNo,
    seq,
    stateCode,
    time: `2025-11-25 1${seq}:00:00`,
    place: `测试站点 ${seq}`,
    ...overrides,
  });

  describe('dispatching paper materials', () => {
    it('orders one waybill for a case however often it is dispatched, and records it once', async () => {
      const kase = transferredCase();
      stack.sandbox.resetCounts();
      const [first, concurrent] = await Promise.all([dispatchPaper(deps(), kase), dispatchPaper(deps(), kase)]);
      const again = await dispatchPaper(deps(), kase);

      expect(first.waybillNo).toMatch(/^[189]\d{12}$/);
      expect(concurrent).toEqual(first);
      expect(again).toEqual(first);
      expect(stack.sandbox.waybills().filter((waybill) => waybill.businessNo === kase.businessNo)).toHaveLength(1);
      // The concurrent order was answered from the courier's idempotency key; the third never reached the courier.
      expect(stack.sandbox.requestCounts()['POST /v1/waybills']).toBe(2);
      expect(await stack.shipments.listByCases([kase.businessNo])).toEqual([[first]]);
    });

    it('sends the qualified materials from the receiving to the jurisdiction window, billed by the scope, due by paperDueAt', async () => {
      const { kase, shipment: created } = await dispatched();
      expect(created).toMatchObject({
        businessNo: kase.businessNo,
        purpose: 'MATERIALS',
        fromWindowId: 'W-500000-01',
        toWindowId: 'W-510000-01',
        toAddress: '四川省成都市',
        contents: ['水利工程质量检测单位资质申请表', '营业执照（复印件）'],
        costBearer: 'JURISDICTION',
        sendBy: kase.transfer!.paperDueAt,
        state: 'ORDERED',
      });
      expect(created.events).toEqual([expect.objectContaining({ seq: 1, state: 'ORDERED' })]);
      const waybill = stack.sandbox.waybills().find((w) => w.waybillNo === created.waybillNo)!;
      expect(waybill).toMatchObject({ bizType: '01', feePayer: '1' });

      const inProvince = await dispatched({ scope: 'IN_PROVINCE', receivingWindowId: 'W-510100-01', jurisdictionWindowId: 'W-513200-01' });
      expect(inProvince.shipment).toMatchObject({ costBearer: 'SENDER', toAddress: '四川省阿坝州' });
      expect(stack.sandbox.waybills().find((w) => w.waybillNo === inProvince.shipment.waybillNo)).toMatchObject({ feePayer: '2' });
    });

    it('refuses a case whose materials travel online only', async () => {
      await expect(dispatchPaper(deps(), transferredCase({ channel: 'ONLINE' }))).rejects.toMatchObject({ code: 'SHIPMENT.NO_PAPER_TRANSFER' });
    });
  });

  describe('tracking pushes', () => {
    it('applies 揽收, 在途, 派件 and 签收 as pushed and tells the case of collection and delivery once each', async () => {
      const { kase, shipment: created } = await dispatched();
      await advance(created.waybillNo, 4);

      const delivered = await stored(created.waybillNo);
      expect(delivered.events.map((e) => [e.seq, e.state])).toEqual([
        [1, 'ORDERED'],
        [2, 'COLLECTED'],
        [3, 'IN_TRANSIT'],
        [4, 'OUT_FOR_DELIVERY'],
        [5, 'DELIVERED'],
      ]);
      expect(delivered.state).toBe('DELIVERED');
      expect(delivered.effects).toEqual([]);
      const pushes = stack.sandbox.pushes().filter((p) => p.waybillNo === created.waybillNo);
      expect(pushes.map((p) => [p.seq, p.outcome, p.status])).toEqual([
        [2, 'DELIVERED', 200],
        [3, 'DELIVERED', 200],
        [4, 'DELIVERED', 200],
        [5, 'DELIVERED', 200],
      ]);
      expect(stack.effects.calls.filter((call) => call.businessNo === kase.businessNo)).toEqual([
        { effect: 'paperCollected', businessNo: kase.businessNo, at: delivered.events[1]!.at },
        { effect: 'materialsDelivered', businessNo: kase.businessNo, at: delivered.events[4]!.at },
      ]);
      expect(await stack.shipments.openWaybillNos()).not.toContain(created.waybillNo);

      const read = await shipment(created.waybillNo);
      expect(read).toMatchObject({ state: 'DELIVERED', collectedAt: delivered.events[1]!.at, deliveredAt: delivered.events[4]!.at, attention: false, late: false });
      expect(read.events[1]).toEqual({ seq: 2, state: 'COLLECTED', at: delivered.events[1]!.at, place: '重庆市（500000）揽投部', note: '已揽收' });
    });

    it('keeps one history in seq order when a push comes twice or after newer ones', async () => {
      const { kase, shipment: created } = await dispatched();
      await advance(created.waybillNo, 2);
      const collected = stack.sandbox.pushes().find((p) => p.waybillNo === created.waybillNo && p.seq === 2)!;

      // Re-sent unchanged but signed afresh: verified, and queued once by its pushId.
      expect(await stack.sandbox.replayPush(collected.pushId)).toMatchObject({ outcome: 'DELIVERED', status: 200 });
      // The same event under another pushId gets past the queue; the store keeps the first copy of seq 2.
      expect((await stack.sandbox.sendPush(push(created, 2, '10', { place: '另一个揽投部' }))).status).toBe(200);
      // 签收 (seq 5) before 派件 (seq 4).
      expect((await stack.sandbox.sendPush(push(created, 5, '40'))).status).toBe(200);
      await stack.drained();
      expect((await stored(created.waybillNo)).state).toBe('DELIVERED');
      expect((await stack.sandbox.sendPush(push(created, 4, '30'))).status).toBe(200);
      await stack.drained();

      const history = await stored(created.waybillNo);
      expect(history.events.map((e) => [e.seq, e.state])).toEqual([
        [1, 'ORDERED'],
        [2, 'COLLECTED'],
        [3, 'IN_TRANSIT'],
        [4, 'OUT_FOR_DELIVERY'],
        [5, 'DELIVERED'],
      ]);
      expect(history.events[1]!.place).toBe('重庆市（500000）揽投部');
      expect(history.state).toBe('DELIVERED');
      expect(stack.effects.of(kase.businessNo)).toEqual(['paperCollected', 'materialsDelivered']);
    });

    it('flags a returned shipment for attention and does not take it for delivered', async () => {
      const { kase, shipment: created } = await dispatched();
      await advance(created.waybillNo, 1, 'RETURNED');

      expect(await shipment(created.waybillNo)).toMatchObject({ state: 'RETURNED', attention: true, deliveredAt: null });
      expect(stack.effects.of(kase.businessNo)).toEqual(['paperCollected']);
      expect(await stack.shipments.openWaybillNos()).not.toContain(created.waybillNo);
    });

    it('flags an exception while it lasts', async () => {
      const { shipment: created } = await dispatched();
      await advance(created.waybillNo, 1, 'EXCEPTION');
      expect(await shipment(created.waybillNo)).toMatchObject({ state: 'EXCEPTION', attention: true });
      await advance(created.waybillNo, 1);
      expect(await shipment(created.waybillNo)).toMatchObject({ state: 'IN_TRANSIT', attention: false });
    });

    it('runs an effect again when it failed, from the job that owed it, and only from that one', async () => {
      const { kase, shipment: created } = await dispatched();
      stack.effects.failNext('paperCollected', kase.businessNo);
      const failuresBefore = stack.effects.failures;
      await stack.sandbox.advance(created.waybillNo);
      // While the job waits out its backoff, another delivery of 揽收 (a new job) must not take over its effect.
      await until('the failed effect', async () => stack.effects.failures > failuresBefore);
      expect((await stack.sandbox.sendPush(push(created, 2, '10'))).status).toBe(200);
      await until('the effects of the case', async () => stack.effects.of(kase.businessNo).length > 0);
      await stack.drained();

      expect(stack.effects.of(kase.businessNo)).toEqual(['paperCollected']);
      expect((await stored(created.waybillNo)).effects).toEqual([]);
    });

    it('refuses a forged push with 401 and stores nothing of it', async () => {
      const { shipment: created } = await dispatched();
      await stack.drained();
      const before = await stack.keys();

      const forged = await stack.sandbox.sendPush(push(created, 5, '40'), { signWith: 'not-the-courier-secret-0123456789' });
      expect(forged.status).toBe(401);

      expect(await stack.keys()).toEqual(before);
      expect((await stored(created.waybillNo)).events).toHaveLength(1);
      // Its nonce was not burnt either: the courier may still use it in a genuine push.
      expect((await stack.sandbox.sendPush(push(created, 2, '10'), { nonce: forged.nonce })).status).toBe(200);
    });

    it('refuses a push signed more than five minutes ago, and a replayed nonce', async () => {
      const { shipment: created } = await dispatched();
      await stack.drained();
      const before = await stack.keys();

      const stale = await stack.sandbox.sendPush(push(created, 2, '10'), { timestamp: Date.now() - 6 * 60_000 });
      expect(stale.status).toBe(401);
      expect(await stack.keys()).toEqual(before);

      const genuine = await stack.sandbox.sendPush(push(created, 2, '10'));
      expect(genuine.status).toBe(200);
      const replayed = await stack.sandbox.sendPush(push(created, 3, '20'), { nonce: genuine.nonce });
      expect(replayed.status).toBe(409);
      await stack.drained();
      expect((await stored(created.waybillNo)).events.map((e) => e.seq)).toEqual([1, 2]);
    });
  });

  describe('reading shipments', () => {
    it('says a shipment is late once sendBy passed without collection, and lists it for ops and supervisors only', async () => {
      const { shipment: created } = await dispatched({ paperDueAt: '2025-11-26T23:59:59+08:00' });

      stack.clock.now = new Date('2025-11-26T18:00:00+08:00');
      expect(await shipment(created.waybillNo)).toMatchObject({ late: false, sendBy: '2025-11-26T23:59:59+08:00' });
      stack.clock.now = new Date('2025-11-27T09:00:00+08:00');
      expect(await shipment(created.waybillNo)).toMatchObject({ late: true });

      for (const caller of [OPS, { ...OPS, subject: 'sup-01', role: 'SUPERVISOR' } satisfies Caller]) {
        const late = await stack.gql(LATE, {}, caller);
        expect(late.errors).toBeUndefined();
        expect(late.data.lateShipments).toContainEqual({ waybillNo: created.waybillNo, late: true, sendBy: '2025-11-26T23:59:59+08:00' });
      }
      for (const role of ['WINDOW_STAFF', 'JURISDICTION_STAFF'] as const) {
        const refused = await stack.gql(LATE, {}, { ...WINDOW_STAFF, role });
        expect(refused.data).toEqual({ lateShipments: null });
        expect(refused.errors?.[0]?.extensions?.code).toBe('AUTH.FORBIDDEN');
      }

      // A supervisor sees the late waybills of their region's cases only; ops see every one.
      const sichuanOnly = await dispatchPaper(deps(), {
        ...transferredCase({ scope: 'IN_PROVINCE', receivingWindowId: 'W-510100-01', jurisdictionWindowId: 'W-513200-01', paperDueAt: '2025-11-26T23:59:59+08:00' }),
        receivingDivisionCode: '510100',
      });
      const lateFor = async (caller: Caller) => (await stack.gql(LATE, {}, caller)).data.lateShipments.map((s: { waybillNo: string }) => s.waybillNo);
      expect(await lateFor({ ...OPS, subject: 'sup-cq', role: 'SUPERVISOR', region: 'CHONGQING' })).not.toContain(sichuanOnly.waybillNo);
      expect(await lateFor({ ...OPS, subject: 'sup-sc', role: 'SUPERVISOR', region: 'SICHUAN' })).toContain(sichuanOnly.waybillNo);
      expect(await lateFor(OPS)).toContain(sichuanOnly.waybillNo);

      await advance(created.waybillNo, 1);
      expect(await shipment(created.waybillNo)).toMatchObject({ late: false, state: 'COLLECTED' });
      const after = await stack.gql(LATE, {}, OPS);
      expect(after.data.lateShipments.map((s: { waybillNo: string }) => s.waybillNo)).not.toContain(created.waybillNo);
    });

    it("resolves a case's shipments and a shipment by reference for the gateway", async () => {
      const { kase, shipment: created } = await dispatched();
      const result = await stack.gql(
        /* GraphQL */ `
          query ($reps: [_Any!]!) {
            _entities(representations: $reps) {
              ... on Case { businessNo shipments { waybillNo purpose toAddress costBearer contents } }
              ... on Shipment { waybillNo businessNo state }
            }
          }
        `,
        {
          reps: [
            { __typename: 'Case', businessNo: kase.businessNo },
            { __typename: 'Case', businessNo: 'TB-NONE' },
            { __typename: 'Shipment', waybillNo: created.waybillNo },
            { __typename: 'Shipment', waybillNo: '1999999999999' },
          ],
        },
      );
      expect(result).toEqual({
        data: {
          _entities: [
            {
              businessNo: kase.businessNo,
              shipments: [
                {
                  waybillNo: created.waybillNo,
                  purpose: 'MATERIALS',
                  toAddress: '四川省成都市',
                  costBearer: 'JURISDICTION',
                  contents: ['水利工程质量检测单位资质申请表', '营业执照（复印件）'],
                },
              ],
            },
            { businessNo: 'TB-NONE', shipments: [] },
            { waybillNo: created.waybillNo, businessNo: kase.businessNo, state: 'ORDERED' },
            null,
          ],
        },
      });
    });

    it('refuses a malformed waybill number and answers null for an unknown one', async () => {
      const malformed = await stack.gql(SHIPMENT, { no: '12345' });
      expect(malformed.errors?.[0]?.extensions?.code).toBe('INPUT.INVALID_WAYBILL_NO');
      expect((await stack.gql(SHIPMENT, { no: '1999999999999' })).data).toEqual({ shipment: null });
    });
  });
});
