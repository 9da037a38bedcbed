import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Route } from './http-server.js';
import type { Logger } from './logger.js';

/**
 * A registry per server rather than prom-client's global one: tests run several
 * gateways in one process, and each must count only its own traffic.
 */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Prometheus' text exposition of `registry`. It carries no personal data, so it asks for no token. */
export function metricsRoute(registry: Registry): Route {
  return {
    method: 'GET',
    path: '/metrics',
    handler: async () => ({
      status: 200,
      headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' },
      body: await registry.metrics(),
    }),
  };
}

export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';

/** Subgraph fetches end in an answer (even one carrying GraphQL errors), a deadline, or a transport failure. */
export type FetchOutcome = 'ok' | 'timeout' | 'error';

export class GatewayMetrics {
  private readonly requests: Counter<'operation'>;
  private readonly errors: Counter<'operation' | 'code'>;
  private readonly duration: Histogram<'operation'>;
  private readonly subgraphFetch: Histogram<'subgraph' | 'outcome'>;
  private readonly queryPlans: Counter<'result'>;
  private readonly supergraphUpdates: Counter<'result'>;
  private readonly supergraphServed: Gauge<'hash'>;

  constructor(readonly registry: Registry) {
    this.requests = new Counter({
      name: 'tongban_graphql_requests_total',
      help: 'GraphQL requests answered by the gateway, by operation type (unknown: refused before an operation was resolved)',
      labelNames: ['operation'],
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'tongban_graphql_errors_total',
      help: 'GraphQL responses carrying errors, by operation type and error code; a response counts once per distinct code',
      labelNames: ['operation', 'code'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'tongban_graphql_request_duration_seconds',
      help: 'Time from receiving a GraphQL request to sending its response',
      labelNames: ['operation'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.queryPlans = new Counter({
      name: 'tongban_query_plan_cache_lookups_total',
      help: 'Query plan cache lookups by result; a steady stream of misses means QUERY_PLAN_CACHE_MIB is too small',
      labelNames: ['result'],
      registers: [registry],
    });
    this.supergraphUpdates = new Counter({
      name: 'tongban_supergraph_updates_total',
      help: 'Changed supergraphs found by the poll: applied, or refused (unreadable, invalid, or a subgraph it routes to down) with the served one kept',
      labelNames: ['result'],
      registers: [registry],
    });
    this.supergraphServed = new Gauge({
      name: 'tongban_supergraph_info',
      help: 'The supergraph this gateway serves, by its SHA-256: replicas disagreeing after a rollout means one refused it (see its error log)',
      labelNames: ['hash'],
      registers: [registry],
    });
    this.subgraphFetch = new Histogram({
      name: 'tongban_subgraph_fetch_duration_seconds',
      help: 'Gateway fetches from each subgraph, by outcome',
      labelNames: ['subgraph', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  }

  recordRequest(operation: OperationType, errors: readonly GraphQLFormattedError[] | undefined, seconds?: number): void {
    this.requests.inc({ operation });
    for (const code of errorCodes(errors)) this.errors.inc({ operation, code });
    if (seconds !== undefined) this.duration.observe({ operation }, seconds);
  }

  recordQueryPlanLookup(hit: boolean): void {
    this.queryPlans.inc({ result: hit ? 'hit' : 'miss' });
  }

  recordSupergraphUpdate(result: 'applied' | 'refused'): void {
    this.supergraphUpdates.inc({ result });
  }

  recordSupergraphServed(hash: string): void {
    this.supergraphServed.reset();
    this.supergraphServed.set({ hash }, 1);
  }

  recordSubgraphFetch(subgraph: string, outcome: FetchOutcome, seconds: number): void {
    this.subgraphFetch.observe({ subgraph, outcome }, seconds);
  }
}

/** The distinct codes of a response's errors, as clients receive them (after formatError). */
export function errorCodes(errors: readonly GraphQLFormattedError[] | undefined): string[] {
  const codes = new Set<string>();
  for (const error of errors ?? []) {
    const code = error.extensions?.code;
    codes.add(typeof code === 'string' ? code : 'UNKNOWN');
  }
  return [...codes];
}

export function operationType(operation: string | undefined): OperationType {
  return operation === 'query' || operation === 'mutation' || operation === 'subscription' ? operation : 'unknown';
}

/**
 * Counts every GraphQL response with the codes it carried. Requests refused while
 * building the context (no or a bad token) never reach `requestDidStart`, so they
 * are counted where Apollo reports them, under operation "unknown".
 */
export function graphqlMetricsPlugin<TContext extends BaseContext>(metrics: GatewayMetrics): ApolloServerPlugin<TContext> {
  return {
    async contextCreationDidFail({ error }) {
      const extensions = (error as { extensions?: Record<string, unknown> }).extensions;
      metrics.recordRequest('unknown', [{ message: error.message, extensions }]);
    },
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operation, response }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          metrics.recordRequest(operationType(operation?.operation), errors, (performance.now() - started) / 1000);
        },
      };
    },
  };
}

export type JobOutcome = 'completed' | 'failed';

/** Recorded by the worker host around each processor run. */
export class JobMetrics {
  private readonly duration: Histogram<'queue' | 'outcome'>;
  private readonly failures: Counter<'queue' | 'final'>;
  private readonly deferrals: Counter<'queue'>;
  private readonly lastTaken: Gauge<'queue'>;

  constructor(registry: Registry) {
    this.lastTaken = new Gauge({
      name: 'tongban_worker_last_job_timestamp_seconds',
      help: 'When this worker host last took a job of each queue (Unix time): the liveness the alert rules watch',
      labelNames: ['queue'],
      registers: [registry],
    });
    this.deferrals = new Counter({
      name: 'tongban_job_deferrals_total',
      help: 'Jobs put back for the time a platform asked for (429 Retry-After, open circuit), by queue; no attempt is spent',
      labelNames: ['queue'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'tongban_job_duration_seconds',
      help: 'Processor run time of each job attempt, by queue and outcome',
      labelNames: ['queue', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    this.failures = new Counter({
      name: 'tongban_job_failures_total',
      help: 'Failed job attempts, by queue; final="true" when the job is dead-lettered (no attempts left or unrecoverable)',
      labelNames: ['queue', 'final'],
      registers: [registry],
    });
  }

  taken(queue: string, at = Date.now()): void {
    this.lastTaken.set({ queue }, at / 1000);
  }

  completed(queue: string, seconds: number): void {
    this.duration.observe({ queue, outcome: 'completed' }, seconds);
  }

  deferred(queue: string): void {
    this.deferrals.inc({ queue });
  }

  failed(queue: string, seconds: number, final: boolean): void {
    this.duration.observe({ queue, outcome: 'failed' }, seconds);
    this.failures.inc({ queue, final: String(final) });
  }
}

/** Times from platforms and the courier that were outside what can be true (before the case's last clock event, or in the future). */
export function outsideTimeCounter(registry: Registry): (source: string) => void {
  const counter = new Counter({
    name: 'tongban_outside_time_bounded_total',
    help: 'Times reported by a platform or the courier that fell outside [last clock event, now] and were bounded, by source',
    labelNames: ['source'],
    registers: [registry],
  });
  return (source) => counter.inc({ source });
}

/** Platform records a worker found under a case's platform id that belong to another business number. */
export function platformRecordMismatchCounter(registry: Registry): () => void {
  const counter = new Counter({
    name: 'tongban_platform_record_mismatch_total',
    help: 'Platform records read for a case that belong to another business number (PLATFORM.RECORD_MISMATCH), not applied',
    registers: [registry],
  });
  return () => counter.inc();
}

/**
 * A gauge read from its source at each scrape instead of kept current by events:
 * queue depth and overdue cases are facts in Redis that every replica reports
 * alike (aggregate them with max, not sum). When the source cannot be read, the
 * gauge is left empty for that scrape (its absence is what to alert on) rather
 * than failing the whole scrape; only a labelled gauge can be empty, hence at
 * least one label.
 */
export function scrapedGauge<L extends string>(options: {
  registry: Registry;
  name: string;
  help: string;
  labelNames: readonly [L, ...L[]];
  logger: Logger;
  read: () => Promise<[labels: Partial<Record<L, string>>, value: number][]>;
}): Gauge<L> {
  const { logger, read, name } = options;
  return new Gauge<L>({
    name,
    help: options.help,
    labelNames: options.labelNames,
    registers: [options.registry],
    async collect() {
      let samples: Awaited<ReturnType<typeof read>> = [];
      try {
        samples = await read();
      } catch (error) {
        logger.warn({ err: error, metric: name }, 'metric source unavailable');
      }
      this.reset();
      for (const [labels, value] of samples) this.set(labels, value);
    },
  });
}
