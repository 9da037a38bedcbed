import type { Redis } from 'ioredis';
import type { Region } from '../../domain/region.js';

/**
 * A region's catalog generation, kept in Redis so that an invalidation on any
 * instance reaches every process's copy; in the slot of the official guides
 * ({catalog}), since loading guides bumps it in the same transaction.
 */
export const catalogGenerationKey = (region: Region) => `catalog:{catalog}:generation:${region}`;

/**
 * Drops every process's copy of a region's catalog: for when the platform has
 * published revised items (new required materials, a renamed department).
 */
export async function invalidateCatalog(redis: Redis, region: Region): Promise<number> {
  return redis.incr(catalogGenerationKey(region));
}
