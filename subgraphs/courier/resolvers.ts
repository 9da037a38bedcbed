import { InputError } from '../../domain/errors.js';
import { requireRole } from '../../lib/auth/caller.js';
import { collectedAt, deliveredAt, isLate, needsAttention, type ShipmentRecord } from './shipment.model.js';
import { WAYBILL_NO } from './shipment.store.js';
import type { CourierContext } from './server.js';

export const resolvers = {
  Query: {
    shipment: (_: unknown, args: { waybillNo: string }, ctx: CourierContext) => {
      if (!WAYBILL_NO.test(args.waybillNo)) throw new InputError('INPUT.INVALID_WAYBILL_NO', `运单号格式不正确: ${args.waybillNo}`);
      return ctx.shipments.load(args.waybillNo);
    },
    lateShipments: (_: unknown, __: unknown, ctx: CourierContext) => {
      requireRole(ctx.caller, 'OPS', 'SUPERVISOR');
      return ctx.store.late(ctx.now());
    },
  },
  Shipment: {
    __resolveReference: (ref: { waybillNo: string }, ctx: CourierContext) => ctx.shipments.load(ref.waybillNo),
    late: (shipment: ShipmentRecord, _: unknown, ctx: CourierContext) => isLate(shipment, ctx.now()),
    attention: (shipment: ShipmentRecord) => needsAttention(shipment),
    collectedAt: (shipment: ShipmentRecord) => collectedAt(shipment),
    deliveredAt: (shipment: ShipmentRecord) => deliveredAt(shipment),
  },
  Case: {
    __resolveReference: (ref: { businessNo: string }) => ({ businessNo: ref.businessNo }),
    shipments: (kase: { businessNo: string }, _: unknown, ctx: CourierContext) => ctx.shipmentsByCase.load(kase.businessNo),
  },
};
