/** The load generator as a child process of bench/run.ts, so its own CPU use shows up apart from the orchestrator's. */
import autocannon from 'autocannon';
import { serveParent } from '../child.ipc.js';
import type { LoadResult, LoadSpec } from './load.types.js';

serveParent(
  {
    run: async (spec: LoadSpec): Promise<LoadResult> => {
      const result = await autocannon({
        url: spec.url,
        method: 'POST',
        headers: { ...spec.headers, 'content-type': 'application/json' },
        body: spec.body,
        connections: spec.connections,
        duration: spec.durationSec,
        expectBody: spec.expectBody,
        // Autocannon's default of 10 s would count a slow-but-correct answer as an error.
        timeout: 30,
      });
      return {
        requests: result.requests.total,
        durationSec: result.duration,
        requestsPerSec: result.requests.total / result.duration,
        latencyP50Ms: result.latency.p50,
        latencyP99Ms: result.latency.p99,
        errors: result.errors + result.timeouts + result.non2xx + result.mismatches,
      };
    },
    cpuUsage: () => process.cpuUsage(),
  },
  async () => {},
);
