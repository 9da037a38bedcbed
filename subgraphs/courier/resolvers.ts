import { InputError } from '../../domain/errors.js';
import { ForbiddenError, requireRole, type Caller } from '../../lib/auth/caller.js';
import { canSeeCase } from '../../lib/case-access.policy.js';
import { collectedAt, deliveredAt, isLate, needsAttention, type ShipmentRecord } from '../../ledger/shipments/shipment.model.js';
import { WAYBILL_NO } from '../../ledger/shipments/shipment.store.js';
import type { CourierContext } from './server.js';

export const resolvers = {
  Query: {
    shipment: async (_: unknown, args: { waybillNo: string }, ctx: CourierContext) => {
      if (!WAYBILL_NO.test(args.waybillNo)) throw new InputError('INPUT.INVALID_WAYBILL_NO', `运单号格式不正确: ${args.waybillNo}`);
      const shipment = await ctx.shipments.load(args.waybillNo);
      if (shipment && !visible(ctx.caller, shipment)) throw new ForbiddenError();
      return shipment;
    },
    // Ops chase the courier for every late waybill (a shipment holds no personal data); a supervisor sees their region's.
    lateShipments: async (_: unknown, __: unknown, ctx: CourierContext) => {
      requireRole(ctx.caller, 'OPS', 'SUPERVISOR');
      const late = await ctx.store.late(ctx.now());
      return ctx.caller.role === 'OPS' ? late : late.filter((shipment) => visible(ctx.caller, shipment));
    },
  },
  Shipment: {
    __resolveReference: async (ref: { waybillNo: string }, ctx: CourierContext) => {
      const shipment = await ctx.shipments.load(ref.waybillNo);
      return shipment && visible(ctx.caller, shipment) ? shipment : null;
    },
    late: (shipment: ShipmentRecord, _: unknown, ctx: CourierContext) => isLate(shipment, ctx.now()),
    attention: (shipment: ShipmentRecord) => needsAttention(shipment),
    collectedAt: (shipment: ShipmentRecord) => collectedAt(shipment),
    deliveredAt: (shipment: ShipmentRecord) => deliveredAt(shipment),
  },
  Case: {
    __resolveReference: (ref: { businessNo: string }) => ({ businessNo: ref.businessNo }),
    // Asked for any business number an entity call names, not only for cases the ledger let through: each waybill is checked itself.
    shipments: async (kase: { businessNo: string }, _: unknown, ctx: CourierContext) =>
      (await ctx.shipmentsByCase.load(kase.businessNo)).filter((shipment) => visible(ctx.caller, shipment)),
  },
};

/** Waybill and business numbers are sequential: a waybill shows to no one who may not see its case. */
function visible(caller: Caller, shipment: ShipmentRecord): boolean {
  return canSeeCase(caller, shipment.parties);
}
