import DataLoader from 'dataloader';
import type { Redis } from 'ioredis';
import { getDefaultCalendar, type WorkingCalendar } from '../../domain/calendar/index.js';
import type { Caller } from '../../lib/auth/caller.js';
import { startSubgraph, type SubgraphDefinition, type SubgraphRuntime } from '../../lib/subgraph-server.js';
import { resolvers } from './resolvers.js';
import { DEMO_WINDOWS, SAMPLE_WINDOWS } from './sample-directory.data.js';
import { WindowCache, type WindowReader } from './window.cache.js';
import { WindowDirectory } from './window-directory.service.js';
import type { WindowChange, WindowRecord } from '../../ledger/windows/window.model.js';
import { WindowStore } from '../../ledger/windows/window.store.js';

export interface WindowsContext {
  directory: WindowDirectory;
  /** This request's view of the process-wide window cache. */
  reader: WindowReader;
  windows: DataLoader<string, WindowRecord | null>;
  histories: DataLoader<string, WindowChange[]>;
  caller: Caller;
  /** How the caller appears in window history. */
  actor: string;
}

export interface WindowsDeps {
  redis: Redis;
  calendar?: WorkingCalendar;
  now?: () => Date;
}

function createDirectory(deps: WindowsDeps) {
  const store = new WindowStore(deps.redis);
  const directory = new WindowDirectory({ store, calendar: deps.calendar ?? getDefaultCalendar(), now: deps.now ?? (() => new Date()) });
  return { store, directory };
}

export function windowsSubgraph(deps: WindowsDeps): SubgraphDefinition<WindowsContext> {
  const { store, directory } = createDirectory(deps);
  const cache = new WindowCache(store);
  return {
    name: 'windows',
    schemaFile: new URL('./schema.graphql', import.meta.url),
    resolvers,
    context: async (_request, caller) => {
      const reader = cache.reader();
      return {
        directory,
        reader,
        windows: new DataLoader((ids) => reader.getMany(ids)),
        histories: new DataLoader((ids) => directory.histories(ids)),
        caller,
        actor: `${caller.role}:${caller.subject}`,
      };
    },
    healthCheck: async () => {
      await deps.redis.ping();
    },
  };
}

export async function startWindowsSubgraph(deps: WindowsDeps & SubgraphRuntime & { demoWindows?: boolean }) {
  const { directory } = createDirectory(deps);
  await directory.seed(SAMPLE_WINDOWS);
  if (deps.demoWindows) await directory.addMissing(DEMO_WINDOWS);
  return startSubgraph(windowsSubgraph(deps), deps);
}
