import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { courierPollProcessor } from '../../jobs/courier-poll.processor.js';
import { dispatchPaper } from '../../jobs/paper-dispatch.js';
import type { ShipmentRecord } from '../../ledger/shipments/shipment.model.js';
import { startCourierStack, transferredCase, type CourierStack } from '../support/courier-stack.js';

describe('polling a courier that pushes nothing', () => {
  let stack: CourierStack;
  let poll: ReturnType<typeof courierPollProcessor>;

  beforeAll(async () => {
    stack = await startCourierStack({ pushes: false });
    poll = courierPollProcessor({ courier: stack.courier, shipments: stack.shipments, events: stack.events });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('applies every missed event in seq order with the same effects, one track call per 50 open shipments', async () => {
    const shipments: ShipmentRecord[] = [];
    for (let i = 0; i < 55; i++) {
      shipments.push(await dispatchPaper({ courier: stack.courier, shipments: stack.shipments, directory: stack.directory }, transferredCase()));
    }
    const [delivered, collected] = shipments as [ShipmentRecord, ShipmentRecord];
    for (let step = 0; step < 4; step++) await stack.sandbox.advance(delivered.waybillNo);
    await stack.sandbox.advance(collected.waybillNo);
    expect(stack.sandbox.pushes()).toEqual([]);

    stack.sandbox.resetCounts();
    expect(await poll()).toEqual({ checked: 55, queued: 2, events: 5, unknown: 0 });
    expect(stack.sandbox.requestCounts()).toEqual({ 'POST /v1/waybills/track': 2 });
    await stack.drained();

    const [afterDelivery, afterCollection] = (await stack.shipments.getMany([delivered.waybillNo, collected.waybillNo])) as ShipmentRecord[];
    expect(afterDelivery!.events.map((e) => [e.seq, e.state])).toEqual([
      [1, 'ORDERED'],
      [2, 'COLLECTED'],
      [3, 'IN_TRANSIT'],
      [4, 'OUT_FOR_DELIVERY'],
      [5, 'DELIVERED'],
    ]);
    expect(afterDelivery!.effects).toEqual([]);
    expect(afterCollection!.state).toBe('COLLECTED');
    // Two jobs, run side by side: each case's effects in order, the cases in any order.
    expect(stack.effects.calls).toHaveLength(3);
    expect(stack.effects.calls.filter((call) => call.businessNo === delivered.businessNo)).toEqual([
      { effect: 'paperCollected', businessNo: delivered.businessNo, at: afterDelivery!.events[1]!.at },
      { effect: 'materialsDelivered', businessNo: delivered.businessNo, at: afterDelivery!.events[4]!.at },
    ]);
    expect(stack.effects.calls.filter((call) => call.businessNo === collected.businessNo)).toEqual([
      { effect: 'paperCollected', businessNo: collected.businessNo, at: afterCollection!.events[1]!.at },
    ]);

    // Nothing is missed any more, and the delivered waybill is no longer asked about.
    expect(await poll()).toEqual({ checked: 54, queued: 0, events: 0, unknown: 0 });
    await stack.drained();
    expect(stack.effects.calls).toHaveLength(3);
  });

  it('counts an open shipment the courier does not know, and leaves it as it is', async () => {
    const orphan = await stack.shipments.create(
      {
        waybillNo: '1999000000001',
        businessNo: 'TB2025112450000099999',
        parties: { receivingWindowId: 'W-500000-01', jurisdictionWindowId: 'W-510000-01', jurisdictionRegion: 'SICHUAN', receivingDivisionCode: '500000' },
        purpose: 'MATERIALS',
        fromWindowId: 'W-500000-01',
        toWindowId: 'W-510000-01',
        toAddress: '四川省成都市',
        contents: ['申请表'],
        costBearer: 'JURISDICTION',
        sendBy: null,
        createdAt: '2025-11-24T10:00:00+08:00',
      },
      { seq: 1, state: 'ORDERED', at: '2025-11-24T10:00:00+08:00', place: '网上下单' },
    );
    const result = await poll();
    expect(result).toMatchObject({ unknown: 1, queued: 0 });
    expect(await stack.shipments.get(orphan.waybillNo)).toEqual(orphan);
  });
});
