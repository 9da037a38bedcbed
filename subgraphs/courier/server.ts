import DataLoader from 'dataloader';
import type { Redis } from 'ioredis';
import type { TrackingPush } from '../../adapters/courier/courier.port.js';
import { verifyCourierPush } from '../../adapters/courier/courier.client.js';
import type { NonceStore } from '../../adapters/platform.port.js';
import type { Caller } from '../../lib/auth/caller.js';
import type { Logger } from '../../lib/logger.js';
import { startSubgraph, type SubgraphDefinition, type SubgraphRuntime } from '../../lib/subgraph-server.js';
import { webhookRoute } from '../../lib/webhook-route.js';
import { resolvers } from './resolvers.js';
import type { ShipmentRecord } from '../../ledger/shipments/shipment.model.js';
import { ShipmentStore } from '../../ledger/shipments/shipment.store.js';

/** Where the courier is configured to push tracking events. */
export const COURIER_WEBHOOK_PATH = '/webhooks/courier';

/** Takes verified pushes to the courier-sync worker (queues/courier-events.queue.ts). */
export interface CourierEventSink {
  enqueue(push: TrackingPush): Promise<void>;
}

export interface CourierContext {
  store: ShipmentStore;
  shipments: DataLoader<string, ShipmentRecord | null>;
  shipmentsByCase: DataLoader<string, ShipmentRecord[]>;
  caller: Caller;
  now: () => Date;
}

export interface CourierDeps {
  redis: Redis;
  /** The partner id the courier's pushes must name, and the secret it signs them with. */
  partnerId: string;
  secret: string;
  nonceStore: NonceStore;
  events: CourierEventSink;
  logger: Logger;
  now?: () => Date;
}

export function courierSubgraph(deps: CourierDeps): SubgraphDefinition<CourierContext> {
  const store = new ShipmentStore(deps.redis);
  const now = deps.now ?? (() => new Date());
  return {
    name: 'courier',
    schemaFile: new URL('./schema.graphql', import.meta.url),
    resolvers,
    context: async (_request, caller) => ({
      store,
      shipments: new DataLoader((waybillNos) => store.getMany(waybillNos)),
      shipmentsByCase: new DataLoader((businessNos) => store.listByCases(businessNos)),
      caller,
      now,
    }),
    routes: [
      // Verified, nonce claimed, then queued: nothing of a refused push is stored.
      webhookRoute({
        path: COURIER_WEBHOOK_PATH,
        source: 'courier',
        verify: (webhook) => verifyCourierPush(webhook, { partnerId: deps.partnerId, secret: deps.secret, nonceStore: deps.nonceStore }),
        accept: (push) => deps.events.enqueue(push),
        logger: deps.logger,
      }),
    ],
    healthCheck: async () => {
      await deps.redis.ping();
    },
  };
}

export function startCourierSubgraph(deps: CourierDeps & SubgraphRuntime) {
  return startSubgraph(courierSubgraph(deps), deps);
}
