import DataLoader from 'dataloader';
import type { CatalogItem, PlatformCaseRecord, PlatformPort } from '../../adapters/platform.port.js';
import type { CatalogReader } from './catalog.cache.js';

/**
 * Per-request loaders over a platform's batch endpoints: however many items or
 * cases a query touches, each platform sees one call per kind per request tick.
 */
export interface PlatformLoaders {
  items: DataLoader<string, CatalogItem | null>;
  cases: DataLoader<string, PlatformCaseRecord | null>;
}

export function createPlatformLoaders(port: PlatformPort, catalog: CatalogReader = port): PlatformLoaders {
  return {
    items: new DataLoader((codes) => catalog.getItemsByCodes(codes)),
    cases: new DataLoader((ids) => port.getCasesByIds(ids)),
  };
}
