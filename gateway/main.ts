/** `npm run start:gateway`: the gateway as its own process, serving the supergraph SUPERGRAPH names (default: the committed one). */
import { loadConfig, SUBGRAPH_NAMES } from '../lib/config.js';
import { tokenVerifierFor } from '../lib/auth/access-token.js';
import { createLogger } from '../lib/logger.js';
import { createRedis, logRedisErrors, requireDurability } from '../lib/redis.js';
import { onShutdown } from '../lib/shutdown.js';
import { startGateway } from './gateway.server.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, service: 'gateway' });
const redis = createRedis(config.redis.url ?? 'redis://127.0.0.1:6379', config.redis.keyPrefix);
logRedisErrors(redis, logger, 'gateway');
if (config.env === 'production') await requireDurability(redis, logger);
const subgraphUrls = Object.fromEntries(
  SUBGRAPH_NAMES.map((name) => [name, config.subgraphs[name].url ?? `http://${config.host}:${config.subgraphs[name].port}/graphql`]),
);
const gateway = await startGateway({
  host: config.host,
  port: config.gateway.port,
  supergraph: config.gateway.supergraph,
  subgraphUrls,
  subgraphTimeoutMs: config.gateway.subgraphTimeoutMs,
  queryPlanCacheMiB: config.gateway.queryPlanCacheMiB,
  persistedQueryTtlSeconds: config.gateway.persistedQueryTtlSeconds,
  production: config.env === 'production',
  logger,
  tokens: tokenVerifierFor(config, logger),
  signingKey: config.gatewayKeys[0]!,
  redis,
  mutationsPerMinute: config.auth.mutationsPerMinute,
  files: config.files,
  verifyPerMinute: config.gateway.verifyPerMinute,
  trustedProxyHops: config.gateway.trustedProxyHops,
  metricsListener: config.metrics.gatewayPort === undefined ? undefined : { host: config.metrics.host, port: config.metrics.gatewayPort },
}).catch((error: unknown) => {
  // A supergraph that cannot be read or served stops the start here, with its reason, rather than an unready gateway.
  logger.fatal({ err: error, code: (error as { code?: unknown }).code }, 'gateway did not start');
  redis.disconnect();
  process.exit(1);
});
logger.info({ url: `${gateway.url}/graphql`, supergraph: config.gateway.supergraph.location, hash: gateway.supergraphHash() }, 'gateway listening');
onShutdown(logger, async () => {
  await gateway.close();
  redis.disconnect();
});
