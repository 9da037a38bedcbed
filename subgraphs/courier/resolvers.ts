import type { CourierContext } from './server.js';

export const resolvers = {
  Query: {
    shipment: (_: unknown, args: { waybillNo: string }, ctx: CourierContext) => ctx.shipments.load(args.waybillNo),
  },
  Shipment: {
    __resolveReference: (ref: { waybillNo: string }, ctx: CourierContext) => ctx.shipments.load(ref.waybillNo),
  },
  Case: {
    __resolveReference: (ref: { businessNo: string }) => ({ businessNo: ref.businessNo }),
    shipments: (kase: { businessNo: string }, _: unknown, ctx: CourierContext) => ctx.shipmentsByCase.load(kase.businessNo),
  },
};
