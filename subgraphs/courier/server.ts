import DataLoader from 'dataloader';
import type { Redis } from 'ioredis';
import type { Logger } from '../../lib/logger.js';
import { startSubgraph, type SubgraphDefinition, type SubgraphRuntime } from '../../lib/subgraph-server.js';
import { resolvers } from './resolvers.js';
import type { ShipmentRecord } from './shipment.model.js';
import { ShipmentStore } from './shipment.store.js';

export interface CourierContext {
  store: ShipmentStore;
  shipments: DataLoader<string, ShipmentRecord | null>;
  shipmentsByCase: DataLoader<string, ShipmentRecord[]>;
}

export function courierSubgraph(deps: { redis: Redis }): SubgraphDefinition<CourierContext> {
  const store = new ShipmentStore(deps.redis);
  return {
    name: 'courier',
    schemaFile: new URL('./schema.graphql', import.meta.url),
    resolvers,
    context: async () => ({
      store,
      shipments: new DataLoader((waybillNos) => store.getMany(waybillNos)),
      shipmentsByCase: new DataLoader((businessNos) => store.listByCases(businessNos)),
    }),
    healthCheck: async () => {
      await deps.redis.ping();
    },
  };
}

export function startCourierSubgraph(deps: { redis: Redis } & SubgraphRuntime) {
  return startSubgraph(courierSubgraph(deps), deps);
}
