import type { CatalogItem } from '../../adapters/platform.port.js';
import type { Region } from '../../domain/region.js';
import type { PageRequest } from '../../lib/paging.js';
import type { CatalogReader } from '../platform/catalog.cache.js';

/**
 * Searches one region's catalog, or both as one list (Chongqing's items, then
 * Sichuan's), so a front end can page through every 通办 item with one cursor.
 */
export async function searchCatalog(
  platforms: Record<Region, CatalogReader>,
  query: { region?: Region; search?: string },
  page: PageRequest,
): Promise<{ items: CatalogItem[]; total: number }> {
  const search = query.search?.trim() || undefined;
  if (query.region) return platforms[query.region].searchItems({ search, ...page });

  const chongqing = await platforms.CHONGQING.searchItems({ search, ...page });
  const remaining = page.limit - chongqing.items.length;
  const sichuan = await platforms.SICHUAN.searchItems({
    search,
    offset: Math.max(0, page.offset - chongqing.total),
    limit: Math.max(1, remaining),
  });
  return {
    items: remaining > 0 ? [...chongqing.items, ...sichuan.items.slice(0, remaining)] : chongqing.items,
    total: chongqing.total + sichuan.total,
  };
}
