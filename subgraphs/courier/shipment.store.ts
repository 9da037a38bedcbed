import type { Redis } from 'ioredis';
import { InputError } from '../../domain/errors.js';
import type { ShipmentRecord } from './shipment.model.js';

const shipmentKey = (waybillNo: string) => `shipment:${waybillNo}`;
const caseShipmentsKey = (businessNo: string) => `case:${businessNo}:shipments`;

/** Domestic EMS waybill numbers: 13 digits starting with 1, 8 or 9. */
export const WAYBILL_NO = /^[189]\d{12}$/;

/** The record and the case's index move together or not at all. */
const CREATE_SHIPMENT = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
  return 1
end
return 0
`;

export class ShipmentStore {
  constructor(private readonly redis: Redis) {}

  async getMany(waybillNos: readonly string[]): Promise<(ShipmentRecord | null)[]> {
    if (waybillNos.length === 0) return [];
    const values = await this.redis.mget(waybillNos.map(shipmentKey));
    return values.map((value) => (value ? (JSON.parse(value) as ShipmentRecord) : null));
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

  /** Records a new waybill; the same waybill twice is refused so no event history is overwritten. */
  async create(shipment: ShipmentRecord): Promise<boolean> {
    if (!WAYBILL_NO.test(shipment.waybillNo)) {
      throw new InputError('INPUT.INVALID_WAYBILL_NO', `运单号格式不正确: ${shipment.waybillNo}`);
    }
    const created = await this.redis.eval(
      CREATE_SHIPMENT,
      2,
      shipmentKey(shipment.waybillNo),
      caseShipmentsKey(shipment.businessNo),
      JSON.stringify(shipment),
      String(Date.parse(shipment.createdAt)),
      shipment.waybillNo,
    );
    return created === 1;
  }
}
