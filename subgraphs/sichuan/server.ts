import type { NonceStore, PlatformPort } from '../../adapters/platform.port.js';
import { verifySichuanWebhook } from '../../adapters/sichuan/sichuan.webhook.js';
import type { Logger } from '../../lib/logger.js';
import type { CatalogCache } from '../platform/catalog.cache.js';
import { startSubgraph, type SubgraphRuntime } from '../../lib/subgraph-server.js';
import { platformSubgraph, type PlatformEventSink } from '../platform/platform.server.js';

export const SICHUAN_WEBHOOK_PATH = '/webhooks/sichuan';

export interface SichuanDeps {
  sichuan: PlatformPort;
  /** The process's copy of the catalog this subgraph's items are served from. */
  catalog: CatalogCache;
  appId: string;
  appSecret: string;
  nonceStore: NonceStore;
  events: PlatformEventSink;
  logger: Logger;
}

export function sichuanSubgraph(deps: SichuanDeps) {
  return platformSubgraph({
    name: 'sichuan',
    schemaFile: new URL('./schema.graphql', import.meta.url),
    typeNames: { item: 'SichuanServiceItem', case: 'SichuanPlatformCase' },
    port: deps.sichuan,
    catalog: deps.catalog,
    webhook: {
      path: SICHUAN_WEBHOOK_PATH,
      verify: (webhook) => verifySichuanWebhook(webhook, { appId: deps.appId, appSecret: deps.appSecret, nonceStore: deps.nonceStore }),
    },
    events: deps.events,
    logger: deps.logger,
  });
}

export function startSichuanSubgraph(deps: SichuanDeps & SubgraphRuntime) {
  return startSubgraph(sichuanSubgraph(deps), deps);
}
