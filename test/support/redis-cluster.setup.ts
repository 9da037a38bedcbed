import { startRedisCluster } from './redis-cluster.js';

/**
 * The vitest globalSetup of the `cluster` project: one Redis Cluster for the
 * run, handed to the test files as REDIS_URL (which lib/config reads), so
 * every stack, store and spawned process of the suite runs on it. Each test
 * keeps its own key prefix, as on a single Redis.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const cluster = await startRedisCluster();
  process.env.REDIS_URL = cluster.url;
  return () => cluster.stop();
}
