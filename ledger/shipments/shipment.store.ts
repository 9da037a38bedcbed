import type { Redis } from 'ioredis';
import { DomainError, InputError } from '../../domain/errors.js';
import { applyTracking } from './shipment-tracking.reducer.js';
import {
  awaitingCollection,
  isFinal,
  isLate,
  type PendingEffect,
  type ShipmentEvent,
  type ShipmentMilestone,
  type ShipmentOrder,
  type ShipmentRecord,
} from './shipment.model.js';

/**
 * Shipments and their indexes share the hash tag {shipments}: a courier event
 * names only its waybill, and one script moves the waybill and its indexes, so
 * they live in one slot on Redis Cluster (SCALING.md sizes it).
 */
const shipmentKey = (waybillNo: string) => `shipment:{shipments}:${waybillNo}`;
const caseShipmentsKey = (businessNo: string) => `shipments:{shipments}:case:${businessNo}`;
/** Waybills the courier may still move, by order time: what polling asks about. */
const OPEN = 'shipments:{shipments}:open';
/** Waybills not yet collected, by their send-by deadline: the late ones are a range query. */
const AWAITING_COLLECTION = 'shipments:{shipments}:awaiting-collection';

/** Domestic EMS waybill numbers: 13 digits starting with 1, 8 or 9. */
export const WAYBILL_NO = /^[189]\d{12}$/;

const MAX_ATTEMPTS = 5;

/**
 * Writes a shipment and its index moves as one script, and only over the version
 * the change was computed from (an optimistic lock): two jobs applying events of
 * one waybill at once cannot lose either's events. KEYS: shipment, then one index
 * per further key. ARGV: expected version (0: must not exist), record, waybill
 * number, then per index a score to ZADD with, or '' to ZREM.
 */
const WRITE_SHIPMENT = `
local current = redis.call('GET', KEYS[1])
local expected = tonumber(ARGV[1])
if expected == 0 then
  if current then return 0 end
else
  if not current then return -1 end
  if tonumber(cjson.decode(current)['version']) ~= expected then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2])
for i = 2, #KEYS do
  local score = ARGV[i + 2]
  if score == '' then redis.call('ZREM', KEYS[i], ARGV[3]) else redis.call('ZADD', KEYS[i], score, ARGV[3]) end
end
return 1
`;

export interface TrackingOutcome {
  record: ShipmentRecord;
  /** Events this call added; none when all were known. */
  added: ShipmentEvent[];
  /** Effects owed to the case that this claimant must run, including those an earlier attempt of it left unsettled. */
  effects: PendingEffect[];
}

export class ShipmentConflictError extends DomainError {
  constructor(waybillNo: string) {
    super('SHIPMENT.CONFLICT', `运单 ${waybillNo} 正被同时更新，请重试`);
  }
}

export class ShipmentStore {
  constructor(private readonly redis: Redis) {}

  async getMany(waybillNos: readonly string[]): Promise<(ShipmentRecord | null)[]> {
    if (waybillNos.length === 0) return [];
    const values = await this.redis.mget(waybillNos.map(shipmentKey));
    return values.map((value) => (value ? (JSON.parse(value) as ShipmentRecord) : null));
  }

  async get(waybillNo: string): Promise<ShipmentRecord | null> {
    return (await this.getMany([waybillNo]))[0] ?? null;
  }

  /** Shipments of many cases in two round trips, whatever the number of cases. */
  async listByCases(businessNos: readonly string[]): Promise<ShipmentRecord[][]> {
    if (businessNos.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const businessNo of businessNos) pipeline.zrange(caseShipmentsKey(businessNo), '0', '-1');
    const results = (await pipeline.exec()) ?? [];
    const waybillsPerCase = results.map(([error, value]) => {
      if (error) throw error;
      return value as string[];
    });
    const records = await this.getMany(waybillsPerCase.flat());
    const byWaybill = new Map(records.filter((r): r is ShipmentRecord => r !== null).map((r) => [r.waybillNo, r]));
    return waybillsPerCase.map((waybills) =>
      waybills.map((waybillNo) => byWaybill.get(waybillNo)).filter((r): r is ShipmentRecord => r !== undefined),
    );
  }

  /**
   * Records an ordered waybill with its order event (seq 1) and returns it; a waybill
   * already recorded is returned as it is, so no tracking history is ever overwritten.
   * Later events come only through `track`, which owes their effects to the case.
   */
  async create(order: ShipmentOrder, ordered: ShipmentEvent): Promise<ShipmentRecord> {
    if (!WAYBILL_NO.test(order.waybillNo)) {
      throw new InputError('INPUT.INVALID_WAYBILL_NO', `运单号格式不正确: ${order.waybillNo}`);
    }
    const record: ShipmentRecord = { ...order, version: 1, state: ordered.state, events: [ordered], effects: [] };
    if (await this.write(null, record)) return record;
    const existing = await this.get(order.waybillNo);
    if (!existing) throw new ShipmentConflictError(order.waybillNo);
    return existing;
  }

  /** Merges tracking events (shipment-tracking.reducer.ts); null for a waybill never recorded here. */
  async track(waybillNo: string, events: readonly ShipmentEvent[], claimant: string): Promise<TrackingOutcome | null> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.get(waybillNo);
      if (!current) return null;
      const change = applyTracking(current, events, claimant);
      const record = change.added.length === 0 ? current : { ...change.record, version: current.version + 1 };
      if (change.added.length === 0 || (await this.write(current, record))) {
        return { record, added: change.added, effects: record.effects.filter((effect) => effect.claimant === claimant) };
      }
    }
    throw new ShipmentConflictError(waybillNo);
  }

  /** The case has taken the milestone: it is no longer owed. */
  async settle(waybillNo: string, milestone: ShipmentMilestone, claimant: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.get(waybillNo);
      if (!current) return;
      const effects = current.effects.filter((effect) => effect.milestone !== milestone || effect.claimant !== claimant);
      if (effects.length === current.effects.length) return;
      if (await this.write(current, { ...current, effects, version: current.version + 1 })) return;
    }
    throw new ShipmentConflictError(waybillNo);
  }

  /** Every waybill not yet in a final state, oldest first. */
  openWaybillNos(): Promise<string[]> {
    return this.redis.zrange(OPEN, '0', '-1');
  }

  /** Not collected by their send-by time at `now`, most overdue first. */
  async late(now: Date): Promise<ShipmentRecord[]> {
    const waybillNos = await this.redis.zrangebyscore(AWAITING_COLLECTION, '-inf', `(${now.getTime()}`);
    const records = await this.getMany(waybillNos);
    return records.filter((record): record is ShipmentRecord => record !== null && isLate(record, now));
  }

  /** Every index entry of a shipment, with its score: an index holds a shipment exactly while this lists it. */
  private indexEntries(record: ShipmentRecord): Map<string, number> {
    const created = Date.parse(record.createdAt);
    const entries = new Map([[caseShipmentsKey(record.businessNo), created]]);
    if (!isFinal(record.state)) entries.set(OPEN, created);
    if (record.sendBy !== null && awaitingCollection(record)) entries.set(AWAITING_COLLECTION, Date.parse(record.sendBy));
    return entries;
  }

  private async write(previous: ShipmentRecord | null, next: ShipmentRecord): Promise<boolean> {
    const before = previous ? this.indexEntries(previous) : new Map<string, number>();
    const after = this.indexEntries(next);
    const ops: [key: string, score: string][] = [
      ...[...before.keys()].filter((key) => !after.has(key)).map((key): [string, string] => [key, '']),
      ...[...after].filter(([key, score]) => before.get(key) !== score).map(([key, score]): [string, string] => [key, String(score)]),
    ];
    const written = await this.redis.eval(
      WRITE_SHIPMENT,
      1 + ops.length,
      shipmentKey(next.waybillNo),
      ...ops.map(([key]) => key),
      String(previous?.version ?? 0),
      JSON.stringify(next),
      next.waybillNo,
      ...ops.map(([, score]) => score),
    );
    return written === 1;
  }
}
