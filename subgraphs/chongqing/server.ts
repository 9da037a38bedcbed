import type { NonceStore, PlatformPort } from '../../adapters/platform.port.js';
import { verifyYukuaibanWebhook } from '../../adapters/yukuaiban/yukuaiban.webhook.js';
import type { Logger } from '../../lib/logger.js';
import type { CatalogCache } from '../platform/catalog.cache.js';
import { startSubgraph, type SubgraphRuntime } from '../../lib/subgraph-server.js';
import { platformSubgraph, type PlatformEventSink } from '../platform/platform.server.js';

/** Where 渝快办 is configured to push status changes; its signature covers this path. */
export const YUKUAIBAN_WEBHOOK_PATH = '/webhooks/yukuaiban';

export interface ChongqingDeps {
  yukuaiban: PlatformPort;
  /** The process's copy of the catalog this subgraph's items are served from. */
  catalog: CatalogCache;
  appKey: string;
  appSecret: string;
  nonceStore: NonceStore;
  events: PlatformEventSink;
  logger: Logger;
}

export function chongqingSubgraph(deps: ChongqingDeps) {
  return platformSubgraph({
    name: 'chongqing',
    schemaFile: new URL('./schema.graphql', import.meta.url),
    typeNames: { item: 'ChongqingServiceItem', case: 'ChongqingPlatformCase' },
    port: deps.yukuaiban,
    catalog: deps.catalog,
    webhook: {
      path: YUKUAIBAN_WEBHOOK_PATH,
      verify: (webhook) =>
        verifyYukuaibanWebhook(webhook, { appKey: deps.appKey, appSecret: deps.appSecret, nonceStore: deps.nonceStore, path: YUKUAIBAN_WEBHOOK_PATH }),
    },
    events: deps.events,
    logger: deps.logger,
  });
}

export function startChongqingSubgraph(deps: ChongqingDeps & SubgraphRuntime) {
  return startSubgraph(chongqingSubgraph(deps), deps);
}
