import DataLoader from 'dataloader';
import type { Redis } from 'ioredis';
import type { PlatformPort } from '../../adapters/platform.port.js';
import { getDefaultCalendar, type WorkingCalendar } from '../../domain/calendar/index.js';
import type { Region } from '../../domain/region.js';
import type { Logger } from '../../lib/logger.js';
import { startSubgraph, type SubgraphDefinition } from '../../lib/subgraph-server.js';
import { createPlatformLoaders, type PlatformLoaders } from '../platform/platform.source.js';
import type { CaseRecord } from './case.model.js';
import { CaseStore } from './case.store.js';
import { resolvers } from './resolvers.js';

export interface CasesContext {
  store: CaseStore;
  calendar: WorkingCalendar;
  platforms: Record<Region, PlatformPort>;
  cases: DataLoader<string, CaseRecord | null>;
  platformLoaders: Record<Region, PlatformLoaders>;
}

export interface CasesDeps {
  redis: Redis;
  /** Defaults to the official calendar with the shipped overrides. */
  calendar?: WorkingCalendar;
  platforms: Record<Region, PlatformPort>;
}

export function casesSubgraph(deps: CasesDeps): SubgraphDefinition<CasesContext> {
  const store = new CaseStore(deps.redis);
  const calendar = deps.calendar ?? getDefaultCalendar();
  return {
    name: 'cases',
    schemaFile: new URL('./schema.graphql', import.meta.url),
    resolvers,
    context: async () => ({
      store,
      calendar,
      platforms: deps.platforms,
      cases: new DataLoader((businessNos) => store.getMany(businessNos)),
      platformLoaders: {
        CHONGQING: createPlatformLoaders(deps.platforms.CHONGQING),
        SICHUAN: createPlatformLoaders(deps.platforms.SICHUAN),
      },
    }),
    healthCheck: async () => {
      await deps.redis.ping();
    },
  };
}

export function startCasesSubgraph(deps: CasesDeps & { logger: Logger; host: string; port: number }) {
  return startSubgraph(casesSubgraph(deps), deps);
}
