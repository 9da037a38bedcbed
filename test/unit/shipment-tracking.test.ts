import { describe, expect, it } from 'vitest';
import { applyTracking } from '../../ledger/shipments/shipment-tracking.reducer.js';
import { collectedAt, deliveredAt, type ShipmentEvent, type ShipmentRecord, type ShipmentState } from '../../ledger/shipments/shipment.model.js';

const STATES: ShipmentState[] = ['ORDERED', 'COLLECTED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED'];

function event(seq: number, state: ShipmentState = STATES[seq - 1]!): ShipmentEvent {
  return { seq, state, at: `2025-11-2${4 + Math.floor(seq / 3)}T1${seq}:00:00+08:00`, place: `第 ${seq} 站` };
}

function ordered(): ShipmentRecord {
  return {
    waybillNo: '1123000000001',
    businessNo: 'TB2025112450000000001',
    parties: { receivingWindowId: 'W-500000-01', jurisdictionWindowId: 'W-510000-01', jurisdictionRegion: 'SICHUAN', receivingDivisionCode: '500000' },
    purpose: 'MATERIALS',
    fromWindowId: 'W-500000-01',
    toWindowId: 'W-510000-01',
    toAddress: '四川省成都市',
    contents: ['申请表'],
    costBearer: 'JURISDICTION',
    sendBy: '2025-11-26T23:59:59+08:00',
    createdAt: '2025-11-24T10:00:00+08:00',
    version: 1,
    state: 'ORDERED',
    events: [event(1)],
    effects: [],
  };
}

/** Applies batches one after another, as separate jobs would. */
function applyAll(batches: ShipmentEvent[][], claimant = 'job') {
  let record = ordered();
  const effects = [];
  for (const [index, batch] of batches.entries()) {
    const change = applyTracking(record, batch, `${claimant}-${index}`);
    effects.push(...change.record.effects.slice(record.effects.length));
    record = change.record;
  }
  return { record, effects };
}

describe('applying tracking events to a shipment', () => {
  it('keeps events in seq order and takes the state of the highest seq when pushes arrive out of order', () => {
    const { record } = applyAll([[event(4)], [event(2)], [event(3)]]);
    expect(record.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(record.state).toBe('OUT_FOR_DELIVERY');
  });

  it('ignores a seq it already has, even when the second copy says something else', () => {
    const first = applyTracking(ordered(), [event(2)], 'push-a');
    const again = applyTracking(first.record, [event(2), { ...event(2), place: '别处' }], 'push-b');
    expect(again.added).toEqual([]);
    expect(again.record).toBe(first.record);
    expect(again.record.events.filter((e) => e.seq === 2)).toEqual([event(2)]);
  });

  it('keeps only the first copy of a seq within one batch and reports what it added by seq', () => {
    const change = applyTracking(ordered(), [event(3), event(2), event(3, 'EXCEPTION')], 'poll');
    expect(change.added.map((e) => [e.seq, e.state])).toEqual([
      [2, 'COLLECTED'],
      [3, 'IN_TRANSIT'],
    ]);
  });

  it('stays in a final state when an older event arrives after it', () => {
    const { record } = applyAll([[event(5)], [event(3)], [event(4)], [event(2)]]);
    expect(record.state).toBe('DELIVERED');
    expect(record.events.map((e) => e.state)).toEqual(STATES);
  });

  it('ends 退回 when the return is the newest event, whatever came before', () => {
    const { record } = applyAll([[event(3, 'RETURNED')], [event(2)]]);
    expect(record.state).toBe('RETURNED');
  });

  it('owes each milestone once, to the job whose events first proved it', () => {
    const { effects } = applyAll([[event(2)], [event(2)], [event(3)], [event(5)], [event(4)]]);
    expect(effects).toEqual([
      { milestone: 'COLLECTED', at: event(2).at, claimant: 'job-0' },
      { milestone: 'DELIVERED', at: event(5).at, claimant: 'job-3' },
    ]);
  });

  it('counts 在途 as proof of collection when 揽收 itself is still missing, and keeps the true time once it comes', () => {
    const first = applyTracking(ordered(), [event(3)], 'push-3');
    expect(first.record.effects).toEqual([{ milestone: 'COLLECTED', at: event(3).at, claimant: 'push-3' }]);
    const late = applyTracking(first.record, [event(2)], 'push-2');
    expect(late.record.effects).toHaveLength(1);
    expect(collectedAt(late.record)).toBe(event(2).at);
  });

  it('owes both milestones to one job that brings the whole history, collection first', () => {
    const change = applyTracking(ordered(), [event(5), event(4), event(3), event(2)], 'poll');
    expect(change.record.effects.map((e) => e.milestone)).toEqual(['COLLECTED', 'DELIVERED']);
    expect(deliveredAt(change.record)).toBe(event(5).at);
  });

  it('owes nothing for an exception or a cancellation before collection', () => {
    expect(applyTracking(ordered(), [event(2, 'EXCEPTION')], 'a').record.effects).toEqual([]);
    expect(applyTracking(ordered(), [event(2, 'CANCELLED')], 'b').record.effects).toEqual([]);
  });

  it('leaves the record untouched', () => {
    const record = ordered();
    const copy = structuredClone(record);
    applyTracking(record, [event(3), event(2)], 'job');
    expect(record).toEqual(copy);
  });
});
