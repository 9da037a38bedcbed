import { configDefaults, defineConfig } from 'vitest/config';

const CLUSTER_ONLY = ['test/chaos/cluster-failover.test.ts'];
// The old layout the migration moves only ever lived on one Redis, and the migration refuses a cluster.
const SINGLE_REDIS_ONLY = ['test/integration/ledger-migration.test.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Integration files share one Redis and the machine's two cores; files run
          // one after another so ports, CPU and Redis load stay predictable.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...CLUSTER_ONLY],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 60_000,
          // Chaos files kill processes, restart Redis and time retries: one file at a time on two cores.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'cluster',
          // The integration suite and the worker-kill, platform-fault and replica chaos cases again, on a
          // 6-node Redis Cluster started once for the run (REDIS_URL points there), and the master kill.
          include: ['test/integration/**/*.test.ts', 'test/chaos/worker-*.test.ts', 'test/chaos/platform-faults.test.ts', 'test/chaos/replicas.test.ts', ...CLUSTER_ONLY],
          exclude: [...configDefaults.exclude, ...SINGLE_REDIS_ONLY],
          globalSetup: ['test/support/redis-cluster.setup.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
