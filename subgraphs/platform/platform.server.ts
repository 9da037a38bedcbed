import type { PlatformPort } from '../../adapters/platform.port.js';
import type { SubgraphDefinition } from '../../lib/subgraph-server.js';
import { platformResolvers, type PlatformContext } from './platform.resolvers.js';
import { createPlatformLoaders } from './platform.source.js';

export function platformSubgraph(options: {
  name: string;
  schemaFile: URL;
  typeNames: { item: string; case: string };
  port: PlatformPort;
}): SubgraphDefinition<PlatformContext> {
  return {
    name: options.name,
    schemaFile: options.schemaFile,
    resolvers: platformResolvers(options.typeNames),
    context: async () => ({ platform: createPlatformLoaders(options.port) }),
  };
}
