import type { Job } from 'bullmq';
import type { CourierPort } from '../adapters/courier/courier.port.js';
import type { ShipmentStore } from '../ledger/shipments/shipment.store.js';
import type { CourierEventQueue } from '../queues/courier-events.queue.js';

/** The courier answers at most 50 waybills per track call (CONTRACT.md §1): one call per chunk. */
const TRACK_BATCH = 50;

export interface CourierPollResult {
  /** Open shipments asked about. */
  checked: number;
  /** Shipments that had missed events, each now queued once. */
  queued: number;
  events: number;
  /** Open shipments the courier does not know. */
  unknown: number;
}

/**
 * The fallback for pushes that never came: tracks every open shipment, 50 to a
 * call, and queues the events the store lacks, in seq order, onto the same
 * courier-sync queue the pushes take — the same apply path with the same effects,
 * and crash-safe, as the job that applies them claims their effects.
 */
export function courierPollProcessor(deps: { courier: CourierPort; shipments: ShipmentStore; events: Pick<CourierEventQueue, 'enqueueTracked'> }) {
  return async (_job?: Job): Promise<CourierPollResult> => {
    const open = await deps.shipments.openWaybillNos();
    const result: CourierPollResult = { checked: open.length, queued: 0, events: 0, unknown: 0 };
    for (let start = 0; start < open.length; start += TRACK_BATCH) {
      const chunk = open.slice(start, start + TRACK_BATCH);
      const [records, waybills] = await Promise.all([deps.shipments.getMany(chunk), deps.courier.track(chunk)]);
      for (const [index, record] of records.entries()) {
        const waybill = waybills[index];
        if (!record) continue;
        if (!waybill) {
          result.unknown += 1;
          continue;
        }
        const known = new Set(record.events.map((event) => event.seq));
        const missed = waybill.events.filter((event) => !known.has(event.seq)).sort((a, b) => a.seq - b.seq);
        if (missed.length === 0) continue;
        await deps.events.enqueueTracked(record.waybillNo, record.businessNo, missed);
        result.queued += 1;
        result.events += missed.length;
      }
    }
    return result;
  };
}
