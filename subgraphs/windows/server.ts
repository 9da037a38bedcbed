import DataLoader from 'dataloader';
import type { Redis } from 'ioredis';
import type { Logger } from '../../lib/logger.js';
import { startSubgraph, type SubgraphDefinition, type SubgraphRuntime } from '../../lib/subgraph-server.js';
import { resolvers } from './resolvers.js';
import { SAMPLE_WINDOWS } from './sample-directory.data.js';
import type { WindowRecord } from './window.model.js';
import { WindowStore } from './window.store.js';

export interface WindowsContext {
  store: WindowStore;
  windows: DataLoader<string, WindowRecord | null>;
}

export function windowsSubgraph(deps: { redis: Redis }): SubgraphDefinition<WindowsContext> {
  const store = new WindowStore(deps.redis);
  return {
    name: 'windows',
    schemaFile: new URL('./schema.graphql', import.meta.url),
    resolvers,
    context: async () => ({ store, windows: new DataLoader((ids) => store.getMany(ids)) }),
    healthCheck: async () => {
      await deps.redis.ping();
    },
  };
}

export async function startWindowsSubgraph(deps: { redis: Redis } & SubgraphRuntime) {
  await new WindowStore(deps.redis).seedIfEmpty(SAMPLE_WINDOWS);
  return startSubgraph(windowsSubgraph(deps), deps);
}
