/**
 * The 政务专递 (government courier) model the rest of the system speaks. The courier's own
 * field names, state codes and time format stay inside this adapter (courier.wire.ts);
 * swapping the stand-in contract for the real carrier's changes nothing beyond it.
 */

/** Which leg of a 通办 case a shipment carries: paper materials to the jurisdiction, or the result back. */
export type WaybillPurpose = 'MATERIALS' | 'RESULT';

export type WaybillState =
  | 'ORDERED'
  | 'COLLECTED'
  | 'IN_TRANSIT'
  | 'OUT_FOR_DELIVERY'
  | 'DELIVERED'
  | 'RETURNED'
  | 'EXCEPTION'
  | 'CANCELLED';

/**
 * Who pays. The rules differ by agreement: 川渝通办 implementation plans put both legs on
 * the jurisdiction (seed 000 §一(三)2: 寄递费用由属地…负责), the 省内通办 rules on whichever
 * department sends (seed 002: 分别由材料寄出部门承担), and an applicant may choose to pay
 * for delivery of the result. The caller decides; the adapter only carries it.
 */
export type CostBearer = 'JURISDICTION' | 'SENDER' | 'APPLICANT';

export interface CourierParty {
  name: string;
  /** Mobile (11 digits) or landline with area code, e.g. `023-63211234`. */
  phone: string;
  address: string;
  /** 6-digit postal code. */
  postcode: string;
  /** 6-digit administrative division code (GB/T 2260). */
  divisionCode: string;
}

export interface CreateWaybillRequest {
  /** Same key and same request ⇒ same waybill: a retried order never ships twice. */
  idempotencyKey: string;
  businessNo: string;
  purpose: WaybillPurpose;
  sender: CourierParty;
  recipient: CourierParty;
  /** Names of the materials or result documents in the envelope. */
  contents: string[];
  costBearer: CostBearer;
  note?: string;
}

export interface WaybillEvent {
  /** Per-waybill sequence number, 1 for the order itself; orders events that arrive out of order. */
  seq: number;
  state: WaybillState;
  /** ISO-8601 with the courier's +08:00 wall clock, e.g. `2024-05-01T09:30:00+08:00`. */
  at: string;
  place: string;
  note?: string;
}

export interface Waybill {
  /** Domestic waybill number, `^[189]\d{12}$`. */
  waybillNo: string;
  businessNo: string;
  purpose: WaybillPurpose;
  state: WaybillState;
  /** Oldest first; the last one carries `state`. */
  events: WaybillEvent[];
  createdAt: string;
}

/** One tracking event pushed by the courier, verified. The same push may arrive twice or out of order. */
export interface TrackingPush {
  /** Same on every delivery of one event: the key to deduplicate on. */
  pushId: string;
  waybillNo: string;
  businessNo: string;
  seq: number;
  state: WaybillState;
  at: string;
  place: string;
  note?: string;
}

export interface CourierPort {
  createWaybill(request: CreateWaybillRequest): Promise<Waybill>;
  /** One call per 50 numbers; the result is aligned with `waybillNos`, null where unknown. */
  track(waybillNos: readonly string[]): Promise<(Waybill | null)[]>;
  /** Only before 揽收 (collection); afterwards the courier refuses. */
  cancel(waybillNo: string): Promise<Waybill>;
}
