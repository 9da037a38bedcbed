/**
 * The load generator as a child process of bench/run.ts, so its own CPU use shows
 * up apart from the orchestrator's. With `tokens`, each request carries the next
 * caller's token: many members of staff, no two requests in flight sharing
 * credentials, so no in-flight deduplication can answer one from another.
 */
import autocannon from 'autocannon';
import { serveParent } from '../child.ipc.js';
import type { LoadResult, LoadSpec } from './load.types.js';

serveParent(
  {
    run: async (spec: LoadSpec): Promise<LoadResult> => {
      const headers = { ...spec.headers, 'content-type': 'application/json' };
      const common = {
        url: spec.url,
        connections: spec.connections,
        duration: spec.durationSec,
        // Autocannon's default of 10 s would count a slow-but-correct answer as an error.
        timeout: 30,
      };
      const tokens = spec.tokens;
      let options: autocannon.Options;
      if (tokens) {
        if (tokens.length < spec.connections) throw new Error(`${tokens.length} tokens cannot keep ${spec.connections} requests apart`);
        let next = 0;
        options = {
          ...common,
          // Autocannon refuses expectBody beside `requests`; verifyBody is the same comparison as a function.
          verifyBody: (body) => body === spec.expectBody,
          requests: [
            {
              method: 'POST',
              headers,
              body: spec.body,
              setupRequest: (request) => {
                request.headers = { ...request.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` };
                return request;
              },
            },
          ],
        };
      } else {
        options = { ...common, method: 'POST', headers, body: spec.body, expectBody: spec.expectBody };
      }
      const latenciesMs: number[] = [];
      const result = await new Promise<autocannon.Result>((resolve, reject) => {
        const instance = autocannon(options, (error, finished) => (error ? reject(error) : resolve(finished)));
        if (spec.latencies) {
          instance.on('response', (_client, status, _bytes, ms) => {
            if (status >= 200 && status < 300) latenciesMs.push(ms);
          });
        }
      });
      return {
        requests: result.requests.total,
        durationSec: result.duration,
        requestsPerSec: result.requests.total / result.duration,
        latencyP50Ms: result.latency.p50,
        latencyP99Ms: result.latency.p99,
        errors: result.errors + result.timeouts + result.non2xx + result.mismatches,
        ...(spec.latencies ? { latenciesMs } : {}),
      };
    },
    cpuUsage: () => process.cpuUsage(),
  },
  async () => {},
);
