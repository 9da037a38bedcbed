/**
 * Autocannon as a child process of bench/run.ts, like bench/load/autocannon.process.ts,
 * but each request carries the next of many callers' tokens: a dashboard is many
 * members of staff, and no two requests in flight share credentials, so no in-flight
 * deduplication can answer one from another.
 */
import autocannon from 'autocannon';
import { serveParent } from '../child.ipc.js';
import type { LoadResult, LoadSpec } from '../load/load.types.js';

export interface RotatingLoadSpec extends LoadSpec {
  /** Bearer tokens, used in turn, one per request. */
  tokens: string[];
}

serveParent(
  {
    run: async (spec: RotatingLoadSpec): Promise<LoadResult> => {
      if (spec.tokens.length < spec.connections) throw new Error(`${spec.tokens.length} tokens cannot keep ${spec.connections} requests apart`);
      let next = 0;
      const result = await autocannon({
        url: spec.url,
        connections: spec.connections,
        duration: spec.durationSec,
        // Autocannon refuses expectBody beside `requests`; verifyBody is the same comparison as a function.
        verifyBody: (body) => body === spec.expectBody,
        // Autocannon's default of 10 s would count a slow-but-correct answer as an error.
        timeout: 30,
        requests: [
          {
            method: 'POST',
            headers: { ...spec.headers, 'content-type': 'application/json' },
            body: spec.body,
            setupRequest: (request) => {
              request.headers = { ...request.headers, authorization: `Bearer ${spec.tokens[next++ % spec.tokens.length]}` };
              return request;
            },
          },
        ],
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
