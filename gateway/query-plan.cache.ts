import type { GatewayConfig } from '@apollo/gateway';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import type { GatewayMetrics } from '../lib/metrics.js';

type QueryPlanCache = NonNullable<NonNullable<GatewayConfig['queryPlannerConfig']>['cache']>;
type QueryPlan = NonNullable<Awaited<ReturnType<QueryPlanCache['get']>>>;

/**
 * The gateway's query plans, bounded by their serialised size as Apollo's own
 * store is, with hits and misses counted: a front end's operations are a few
 * hundred documents, and a miss rate above zero in steady state means the bound
 * is too small for them (QUERY_PLAN_CACHE_MIB) and every such request pays for planning.
 */
export function queryPlanCache(maxMiB: number, metrics: GatewayMetrics): QueryPlanCache {
  const plans = new InMemoryLRUCache<QueryPlan>({
    maxSize: Math.max(1, Math.floor(maxMiB * 2 ** 20)),
    sizeCalculation: (plan) => Buffer.byteLength(JSON.stringify(plan), 'utf8') || 1,
  });
  return {
    async get(key) {
      const plan = await plans.get(key);
      metrics.recordQueryPlanLookup(plan !== undefined);
      return plan;
    },
    set: (key, plan, options) => plans.set(key, plan, options),
    delete: (key) => plans.delete(key),
    clear: () => plans.clear(),
  };
}
