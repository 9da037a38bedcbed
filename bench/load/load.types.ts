export interface LoadSpec {
  url: string;
  /** Besides content-type. */
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationSec: number;
  /** Every response must be exactly this, byte for byte; any other counts as an error. */
  expectBody: string;
  /** Bearer tokens used in turn, one per request (replacing any authorization header). */
  tokens?: string[];
  /** Answer with every 2xx response's latency, not only autocannon's percentiles: to pool several runs. */
  latencies?: boolean;
}

export interface LoadResult {
  requests: number;
  durationSec: number;
  requestsPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Connection errors, time-outs, non-2xx answers and wrong bodies, together. */
  errors: number;
  /** With `latencies`: each 2xx response's time from request to whole answer, in fractional milliseconds. */
  latenciesMs?: number[];
}
