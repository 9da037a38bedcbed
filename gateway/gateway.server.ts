import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Redis } from 'ioredis';
import { logRedisErrors } from '../lib/redis.js';
import type { TokenVerifier } from '../lib/auth/access-token.js';
import { authenticate } from '../lib/auth/graphql-auth.js';
import type { GatewayKey } from '../lib/auth/gateway-signature.js';
import { formatError, hideSuggestions } from '../lib/graphql-errors.js';
import { checkMeasure, documentLimitRules, listSizesOf, MAX_TOKENS, measureOperation, type ListSizes } from '../lib/graphql-limits.js';
import { RateLimiter } from '../lib/rate-limit.js';
import type { Config } from '../lib/config.js';
import { headerValue, json, startHttpServer, type HttpRequest, type RunningServer } from '../lib/http-server.js';
import type { Logger } from '../lib/logger.js';
import { graphqlMetricsPlugin, metricsRoute } from '../lib/metrics.js';
import { QueueAdmin } from '../queues/queue-admin.js';
import { graphiqlRoutes } from './graphiql.page.js';
import { gatewayMetrics, opsOnly, opsRoutes } from './ops.routes.js';
import { inflightKey } from './inflight-dedup.js';
import { casesPageRoutes } from './pages.routes.js';
import { PersistedQueryCache } from './persisted-queries.cache.js';
import { queryPlanCache } from './query-plan.cache.js';
import { installOperationCache } from './operation.cache.js';
import { installResultShaping } from './result-shaping.js';
import { scanUploads, uploadsRoute } from './scan-uploads.js';
import { SubgraphDataSource, type GatewayContext } from './subgraph.datasource.js';
import { checkSubgraphs, openSupergraph, type SupergraphDelivery } from './supergraph.delivery.js';
import { createSubgraphFetcher } from './subgraph.fetcher.js';

export interface GatewayOptions {
  host: string;
  port: number;
  /** A fixed supergraph (tests, benchmarks); or `supergraph`. */
  supergraphSdl?: string;
  /** Where the supergraph is read and how often it is read again (lib/config's SUPERGRAPH); or `supergraphSdl`. */
  supergraph?: SupergraphDelivery;
  /** Where each subgraph runs, overriding the routing URLs composed into the supergraph. */
  subgraphUrls?: Partial<Record<string, string>>;
  subgraphTimeoutMs: number;
  /** Bound of the query plan cache (default 30 MiB, Apollo's own). */
  queryPlanCacheMiB?: number;
  /** How long a persisted query stays registered in Redis after it was last sent in full (default 24 h). */
  persistedQueryTtlSeconds?: number;
  production: boolean;
  logger: Logger;
  tokens: TokenVerifier;
  /** Signs every request to a subgraph (lib/auth/gateway-signature.ts). */
  signingKey: GatewayKey;
  /** Shared state of the gateway replicas (mutation budgets, persisted queries). */
  redis: Redis;
  /** How long a request may wait on Redis before the gateway answers without it (default 1 s). */
  redisTimeoutMs?: number;
  mutationsPerMinute: number;
  /** Lookups of /verify/<code> per client address and minute (default 30). */
  verifyPerMinute?: number;
  /** Proxies of the deployment's own in front, whose X-Forwarded-For entries are believed (default 0: none). */
  trustedProxyHops?: number;
  /** Serve /metrics on this listener (an internal interface) instead of on the API port. */
  metricsListener?: { host: string; port: number };
  /** Where scans are kept and what is accepted: serves the receiving windows' uploads at /files/uploads. */
  files?: Config['files'];
}

export interface RunningGateway extends RunningServer {
  /** Subgraph name → URL actually used, for readiness checks and diagnostics. */
  subgraphs: Record<string, string>;
  /** The SHA-256 of the supergraph served now. */
  supergraphHash(): string;
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  if ((options.supergraphSdl === undefined) === (options.supergraph === undefined)) throw new Error('give the gateway either supergraphSdl or supergraph');
  // Its own connection with a deadline on every command: the caller's connection retries each
  // command through an outage (some 30 s), and a request must not wait that long on a budget check.
  const redis = options.redis.duplicate({ commandTimeout: options.redisTimeoutMs ?? 1_000 });
  logRedisErrors(redis, options.logger, 'gateway');
  const queues = QueueAdmin.over(redis);
  const metrics = gatewayMetrics({ redis, queues, logger: options.logger });
  const routeOf = (name: string, url: string | undefined) => options.subgraphUrls?.[name] ?? url;
  // What follows the served supergraph, replaced in the same turn as Apollo's schema (which clears its
  // query plan store; Apollo Server drops its parsed documents, the operation cache is keyed by schema):
  // the subgraphs /ready and the page routes call (one object, updated in place), the list sizes cost is
  // measured with, the hash ops see.
  const subgraphs: Record<string, string> = {};
  let served!: { hash: string; listSizes: ListSizes; loadedAt: Date };
  const delivery = await openSupergraph({
    source: options.supergraph ?? { sdl: options.supergraphSdl! },
    routeOf,
    logger: options.logger,
    metrics,
    onServed: (supergraph) => {
      for (const name of Object.keys(subgraphs)) delete subgraphs[name];
      Object.assign(subgraphs, supergraph.subgraphs);
      served = { hash: supergraph.hash, listSizes: listSizesOf(supergraph.sdl), loadedAt: new Date() };
      metrics.recordSupergraphServed(supergraph.hash);
    },
  });
  const fetcher = createSubgraphFetcher({ timeoutMs: options.subgraphTimeoutMs });
  // Unless told not to, @apollo/gateway probes the AWS, GCP, Azure and Alibaba metadata
  // endpoints and reports usage to Apollo: outbound traffic a government gateway must not
  // make. Its only switch is this variable; tongban's own metrics are /metrics.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  installResultShaping();
  installOperationCache();
  const gateway = new ApolloGateway({
    supergraphSdl: delivery.hook,
    logger: options.logger,
    queryPlannerConfig: { cache: queryPlanCache(options.queryPlanCacheMiB ?? 30, metrics) },
    buildService: ({ name, url }) => {
      const target = routeOf(name, url);
      if (!target) throw new Error(`no URL for subgraph ${name}`);
      return new SubgraphDataSource(name, target, fetcher, options.subgraphTimeoutMs, options.logger, metrics, options.signingKey);
    },
  });

  const limiter = new RateLimiter(redis, options.mutationsPerMinute);
  const server = new ApolloServer<GatewayContext>({
    gateway,
    formatError: options.production ? (formatted, error) => hideSuggestions(formatError(formatted, error)) : formatError,
    introspection: !options.production,
    validationRules: documentLimitRules(),
    parseOptions: { maxTokens: MAX_TOKENS },
    csrfPrevention: true,
    persistedQueries: {
      cache: new PersistedQueryCache(redis, options.logger, { ttlSeconds: options.persistedQueryTtlSeconds ?? 24 * 3600 }),
    },
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    // Shutdown is ours (lib/shutdown.ts): Apollo's own handler would re-raise the signal mid-drain.
    stopOnTerminationSignals: false,
    plugins: [
      graphqlMetricsPlugin(metrics),
      operationLimits(limiter, () => served.listSizes),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      ...(options.production ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
  });
  await server.start();

  const shareKey = inflightKey();
  const uploads = options.files && scanUploads({ files: options.files, redis, tokens: options.tokens });
  const http = await startHttpServer({
    host: options.host,
    port: options.port,
    logger: options.logger,
    requestIdScope: false,
    graphql: {
      path: '/graphql',
      server,
      authenticate: (request) => authenticate(options.tokens, request),
      context: async (request: HttpRequest, caller) => ({
        requestId: request.requestId,
        authorization: headerValue(request.headers.authorization),
        caller,
      }),
      onRefused: (code) => metrics.recordRequest('unknown', [{ message: '', extensions: { code } }]),
      // Identical queries from the same caller while one is running share its execution.
      // A request that arrives after a swap never joins an execution begun on the previous supergraph.
      shareKey: (request, body) => {
        const key = shareKey(request, body);
        return key === undefined ? undefined : `${served.hash}:${key}`;
      },
    },
    streams: uploads ? [uploadsRoute(uploads)] : [],
    routes: [
      { method: 'GET', path: '/health', handler: async () => json(200, { status: 'ok' }) },
      ...(options.metricsListener ? [] : [options.production ? opsOnly(metricsRoute(metrics.registry), options.tokens) : metricsRoute(metrics.registry)]),
      ...opsRoutes({ tokens: options.tokens, queues, production: options.production }),
      ...(options.production ? [] : graphiqlRoutes()),
      ...casesPageRoutes({
        subgraphs,
        signingKey: options.signingKey,
        timeoutMs: options.subgraphTimeoutMs,
        redis,
        verifyPerMinute: options.verifyPerMinute ?? 30,
        trustedProxyHops: options.trustedProxyHops ?? 0,
      }),
      {
        method: 'GET',
        path: '/ready',
        handler: async () => {
          const checks = await checkSubgraphs(subgraphs, Math.min(2000, options.subgraphTimeoutMs));
          const ready = Object.keys(subgraphs).length > 0 && Object.values(checks).every((status) => status === 'ok');
          return json(ready ? 200 : 503, {
            status: ready ? 'ready' : 'not ready',
            supergraphLoaded: true,
            supergraph: { hash: served.hash, loadedAt: served.loadedAt.toISOString(), source: options.supergraph?.location ?? 'inline' },
            subgraphs: checks,
          });
        },
      },
    ],
  });

  const metricsHttp = options.metricsListener
    ? await startHttpServer({ ...options.metricsListener, logger: options.logger, routes: [metricsRoute(metrics.registry)] })
    : undefined;

  return {
    url: http.url,
    port: http.port,
    subgraphs,
    supergraphHash: () => served.hash,
    close: async () => {
      await Promise.all([http.close(), metricsHttp?.close()]);
      await server.stop();
      fetcher.close();
      await queues.close();
      redis.disconnect();
    },
  };
}

/**
 * What needs the variables: cost with the page sizes sent, the number of
 * mutation fields, and the caller's per-minute budget, which each mutation
 * field spends (queries are not budgeted here).
 */
function operationLimits(limiter: RateLimiter, listSizes: () => ListSizes): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request, contextValue }) {
          // Apollo hands an unresolvable operation to the gateway, whose planner answers it as a 500.
          if (!operation) {
            const message = request.operationName ? `Unknown operation named "${request.operationName}".` : 'Must provide operation name if query contains multiple operations.';
            throw new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } });
          }
          const measure = measureOperation(schema, document, operation, request.variables, listSizes());
          checkMeasure(measure);
          if (measure.mutationFields === 0) return;
          const withinBudget = await limiter.consume(contextValue.caller.subject, measure.mutationFields).catch((error: unknown) => {
            // Without the shared budget nothing can be admitted; the stores behind would not take it either.
            throw new GraphQLError('系统暂时无法受理，请稍后再试', { extensions: { code: 'REDIS.NOT_AVAILABLE', http: { status: 503 } }, originalError: error as Error });
          });
          if (!withinBudget) {
            throw new GraphQLError('操作过于频繁，请稍后再试', { extensions: { code: 'LIMIT.RATE', http: { status: 429 } } });
          }
        },
      };
    },
  };
}
