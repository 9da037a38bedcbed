import type { InboundWebhook, PlatformEvent, PlatformPort } from '../../adapters/platform.port.js';
import type { Logger } from '../../lib/logger.js';
import type { SubgraphDefinition } from '../../lib/subgraph-server.js';
import { webhookRoute } from '../../lib/webhook-route.js';
import { platformResolvers, type PlatformContext } from './platform.resolvers.js';
import type { CatalogCache } from './catalog.cache.js';
import { createPlatformLoaders } from './platform.source.js';

export interface PlatformEventSink {
  enqueue(event: PlatformEvent): Promise<void>;
}

export function platformSubgraph(options: {
  name: string;
  schemaFile: URL;
  typeNames: { item: string; case: string };
  port: PlatformPort;
  catalog: CatalogCache;
  webhook: { path: string; verify: (webhook: InboundWebhook) => Promise<PlatformEvent> };
  events: PlatformEventSink;
  logger: Logger;
}): SubgraphDefinition<PlatformContext> {
  return {
    name: options.name,
    schemaFile: options.schemaFile,
    resolvers: platformResolvers(options.typeNames, options.logger),
    context: async () => ({ platform: createPlatformLoaders(options.port, options.catalog.reader()) }),
    routes: [
      webhookRoute({
        path: options.webhook.path,
        source: options.name,
        verify: options.webhook.verify,
        accept: (event) => options.events.enqueue(event),
        logger: options.logger,
      }),
    ],
  };
}
