/**
 * Translation between the courier's wire records (already validated against courier.wire.ts)
 * and the port's model. Times leave as ISO-8601 with +08:00: the courier reports wall-clock
 * times at places in China, and staff read them as such.
 */
import type { CourierParty, CreateWaybillRequest, TrackingPush, Waybill, WaybillEvent } from './courier.port.js';
import {
  COURIER_BIZ_TYPES,
  COURIER_FEE_PAYERS,
  COURIER_STATES,
  courierTimeToIso,
  inverse,
  type CourierCreate,
  type CourierPush,
  type CourierTrace,
  type CourierWaybill,
  type CourierWireParty,
} from './courier.wire.js';

const BIZ_TYPE_CODES = inverse(COURIER_BIZ_TYPES);
const FEE_PAYER_CODES = inverse(COURIER_FEE_PAYERS);
export const STATE_CODES = inverse(COURIER_STATES);

function partyToWire(party: CourierParty): CourierWireParty {
  return {
    name: party.name,
    phone: party.phone,
    address: party.address,
    postCode: party.postcode,
    divisionCode: party.divisionCode,
  };
}

/** The body only; the idempotency key travels as a header. Unvalidated: the caller parses it with the schema. */
export function createToWire(request: CreateWaybillRequest): CourierCreate {
  return {
    businessNo: request.businessNo,
    bizType: BIZ_TYPE_CODES[request.purpose],
    feePayer: FEE_PAYER_CODES[request.costBearer],
    sender: partyToWire(request.sender),
    receiver: partyToWire(request.recipient),
    cargos: request.contents.map((name) => ({ name })),
    ...(request.note === undefined ? {} : { remark: request.note }),
  };
}

function eventFromWire(trace: CourierTrace): WaybillEvent {
  return {
    seq: trace.seq,
    state: COURIER_STATES[trace.stateCode],
    at: courierTimeToIso(trace.time),
    place: trace.place,
    ...(trace.remark ? { note: trace.remark } : {}),
  };
}

export function waybillFromWire(wire: CourierWaybill): Waybill {
  return {
    waybillNo: wire.waybillNo,
    businessNo: wire.businessNo,
    purpose: COURIER_BIZ_TYPES[wire.bizType],
    state: COURIER_STATES[wire.stateCode],
    events: wire.traces.map(eventFromWire),
    createdAt: courierTimeToIso(wire.createTime),
  };
}

export function pushFromWire(wire: CourierPush): TrackingPush {
  return {
    pushId: wire.pushId,
    waybillNo: wire.waybillNo,
    businessNo: wire.businessNo,
    seq: wire.seq,
    state: COURIER_STATES[wire.stateCode],
    at: courierTimeToIso(wire.time),
    place: wire.place,
    ...(wire.remark ? { note: wire.remark } : {}),
  };
}
