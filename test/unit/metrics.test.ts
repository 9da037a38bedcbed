import { Writable } from 'node:stream';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../lib/auth/caller.js';
import { formatError } from '../../lib/graphql-errors.js';
import { createLogger } from '../../lib/logger.js';
import {
  createRegistry,
  errorCodes,
  GatewayMetrics,
  graphqlMetricsPlugin,
  JobMetrics,
  metricsRoute,
  operationType,
  scrapedGauge,
} from '../../lib/metrics.js';

/** The value of one series in `registry`'s exposition, or undefined when it is absent. */
async function value(registry: ReturnType<typeof createRegistry>, series: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('errorCodes', () => {
  it('lists each code once, as clients received it', () => {
    expect(errorCodes(undefined)).toEqual([]);
    expect(
      errorCodes([
        { message: 'a', extensions: { code: 'SUBGRAPH.UNAVAILABLE' } },
        { message: 'b', extensions: { code: 'SUBGRAPH.UNAVAILABLE' } },
        { message: 'c', extensions: { code: 'AUTH.FORBIDDEN' } },
        { message: 'd' },
      ]),
    ).toEqual(['SUBGRAPH.UNAVAILABLE', 'AUTH.FORBIDDEN', 'UNKNOWN']);
  });

  it('names the operation type, and "unknown" when none was resolved', () => {
    expect([operationType('query'), operationType('mutation'), operationType('subscription'), operationType(undefined)]).toEqual([
      'query',
      'mutation',
      'subscription',
      'unknown',
    ]);
  });
});

describe('graphqlMetricsPlugin', () => {
  const typeDefs = 'type Query { ok: Int, forbidden: Int, broken: Int } type Mutation { touch: Int }';
  const resolvers = {
    Query: {
      ok: () => 1,
      forbidden: () => {
        throw new ForbiddenError();
      },
      broken: () => {
        throw new Error('redis at 10.0.0.3 refused');
      },
    },
    Mutation: { touch: () => 1 },
  };

  async function serve(run: (server: ApolloServer) => Promise<unknown>) {
    const registry = createRegistry();
    const metrics = new GatewayMetrics(registry);
    const server = new ApolloServer({ typeDefs, resolvers, formatError, plugins: [graphqlMetricsPlugin(metrics)] });
    await server.start();
    try {
      await run(server);
    } finally {
      await server.stop();
    }
    return registry;
  }

  it('counts requests by operation type and errors by the code the client got', async () => {
    const registry = await serve(async (server) => {
      await server.executeOperation({ query: '{ ok }' });
      await server.executeOperation({ query: '{ ok forbidden }' });
      await server.executeOperation({ query: '{ broken }' });
      await server.executeOperation({ query: 'mutation { touch }' });
      await server.executeOperation({ query: '{ nope }' });
    });
    expect(await value(registry, 'tongban_graphql_requests_total{operation="query"}')).toBe(3);
    expect(await value(registry, 'tongban_graphql_requests_total{operation="mutation"}')).toBe(1);
    expect(await value(registry, 'tongban_graphql_requests_total{operation="unknown"}')).toBe(1);
    expect(await value(registry, 'tongban_graphql_errors_total{operation="query",code="AUTH.FORBIDDEN"}')).toBe(1);
    // formatError hides what went wrong inside; the metric says what the client saw.
    expect(await value(registry, 'tongban_graphql_errors_total{operation="query",code="INTERNAL"}')).toBe(1);
    expect(await value(registry, 'tongban_graphql_errors_total{operation="unknown",code="GRAPHQL_VALIDATION_FAILED"}')).toBe(1);
    expect(await value(registry, 'tongban_graphql_request_duration_seconds_count{operation="query"}')).toBe(3);
  });

  it('counts requests refused while building the context', async () => {
    const registry = await serve(async (server) => {
      const response = await server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: 'POST', headers: new HeaderMap([['content-type', 'application/json']]), search: '', body: { query: '{ ok }' } },
        context: async () => {
          throw new GraphQLError('缺少访问令牌', { extensions: { code: 'AUTH.UNAUTHENTICATED', http: { status: 401 } } });
        },
      });
      expect(response.status).toBe(401);
    });
    expect(await value(registry, 'tongban_graphql_requests_total{operation="unknown"}')).toBe(1);
    expect(await value(registry, 'tongban_graphql_errors_total{operation="unknown",code="AUTH.UNAUTHENTICATED"}')).toBe(1);
  });
});

describe('GatewayMetrics', () => {
  it('keeps subgraph fetch latency per subgraph and outcome', async () => {
    const registry = createRegistry();
    const metrics = new GatewayMetrics(registry);
    metrics.recordSubgraphFetch('cases', 'ok', 0.02);
    metrics.recordSubgraphFetch('cases', 'ok', 0.3);
    metrics.recordSubgraphFetch('sichuan', 'timeout', 5.01);
    expect(await value(registry, 'tongban_subgraph_fetch_duration_seconds_bucket{le="0.025",subgraph="cases",outcome="ok"}')).toBe(1);
    expect(await value(registry, 'tongban_subgraph_fetch_duration_seconds_bucket{le="0.5",subgraph="cases",outcome="ok"}')).toBe(2);
    expect(await value(registry, 'tongban_subgraph_fetch_duration_seconds_count{subgraph="sichuan",outcome="timeout"}')).toBe(1);
    expect(await value(registry, 'tongban_subgraph_fetch_duration_seconds_bucket{le="5",subgraph="sichuan",outcome="timeout"}')).toBe(0);
  });
});

describe('JobMetrics', () => {
  it('tells retried failures from dead letters', async () => {
    const registry = createRegistry();
    const jobs = new JobMetrics(registry);
    jobs.completed('{material-transfer}', 0.2);
    jobs.failed('{material-transfer}', 0.1, false);
    jobs.failed('{material-transfer}', 0.1, true);
    const q = 'queue="{material-transfer}"';
    expect(await value(registry, `tongban_job_duration_seconds_count{${q},outcome="completed"}`)).toBe(1);
    expect(await value(registry, `tongban_job_duration_seconds_count{${q},outcome="failed"}`)).toBe(2);
    expect(await value(registry, `tongban_job_failures_total{${q},final="false"}`)).toBe(1);
    expect(await value(registry, `tongban_job_failures_total{${q},final="true"}`)).toBe(1);
  });
});

describe('scrapedGauge', () => {
  it('reads its source at every scrape and drops series the source no longer reports', async () => {
    const registry = createRegistry();
    let samples: [{ queue: string }, number][] = [
      [{ queue: 'a' }, 3],
      [{ queue: 'b' }, 1],
    ];
    let reads = 0;
    scrapedGauge({
      registry,
      name: 'test_depth',
      help: 'depth',
      labelNames: ['queue'],
      logger: createLogger({ level: 'silent', service: 'test' }),
      read: async () => {
        reads += 1;
        return samples;
      },
    });
    expect(await value(registry, 'test_depth{queue="a"}')).toBe(3);
    samples = [[{ queue: 'a' }, 5]];
    expect(await value(registry, 'test_depth{queue="a"}')).toBe(5);
    expect(await value(registry, 'test_depth{queue="b"}')).toBeUndefined();
    expect(reads).toBe(3);
  });

  it('leaves the gauge empty, and the rest of the scrape intact, when its source fails', async () => {
    const registry = createRegistry();
    const logs: string[] = [];
    const logger = createLogger(
      { level: 'warn', service: 'test' },
      new Writable({
        write(chunk, _encoding, done) {
          logs.push(String(chunk));
          done();
        },
      }),
    );
    scrapedGauge({ registry, name: 'test_overdue', help: 'overdue', labelNames: ['clock'], logger, read: () => Promise.reject(new Error('ECONNREFUSED')) });
    const response = await metricsRoute(registry).handler({ method: 'GET', path: '/metrics', search: '', headers: {}, rawBody: Buffer.alloc(0), requestId: 'r' });
    expect(response.status).toBe(200);
    expect(response.headers?.['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(String(response.body)).toContain('process_cpu_user_seconds_total');
    expect(String(response.body)).not.toMatch(/^test_overdue\{/m);
    expect(JSON.parse(logs[0]!)).toMatchObject({ msg: 'metric source unavailable', metric: 'test_overdue' });
  });
});
