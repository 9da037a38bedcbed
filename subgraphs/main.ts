/** `npm run start:subgraph -- <name>`: one subgraph as its own process, as in production. */
import { loadConfig, SUBGRAPH_NAMES, type SubgraphName } from '../lib/config.js';
import { tokenVerifierFor } from '../lib/auth/access-token.js';
import { createLogger } from '../lib/logger.js';
import { createPlatformClients } from '../lib/platforms.js';
import { requireDurability, createQueueConnection, createRedis, logRedisErrors } from '../lib/redis.js';
import { getDefaultCalendar } from '../domain/calendar/index.js';
import { createJobQueues } from '../queues/job-queues.js';
import { onShutdown } from '../lib/shutdown.js';
import { startSubgraphByName } from './index.js';

const name = process.argv[2] as SubgraphName;
if (!SUBGRAPH_NAMES.includes(name)) {
  console.error(`usage: npm run start:subgraph -- <${SUBGRAPH_NAMES.join('|')}>`);
  process.exit(2);
}
const config = loadConfig();
const logger = createLogger({ level: config.logLevel, service: `subgraph-${name}` });
const redisUrl = config.redis.url ?? 'redis://127.0.0.1:6379';
const redis = createRedis(redisUrl, config.redis.keyPrefix);
const queueConnection = createQueueConnection(redisUrl);
logRedisErrors(redis, logger, 'stores');
logRedisErrors(queueConnection, logger, 'queues');
if (config.env === 'production') await requireDurability(redis, logger);
const queues = createJobQueues(queueConnection, config.redis.keyPrefix, getDefaultCalendar());
const server = await startSubgraphByName(name, config.subgraphs[name].port, {
  config,
  redis,
  platforms: createPlatformClients(config),
  queues,
  tokens: tokenVerifierFor(config, logger),
  logger,
});
logger.info({ url: `${server.url}/graphql` }, `subgraph ${name} listening`);
onShutdown(logger, async () => {
  await server.close();
  await queues.close();
  redis.disconnect();
  queueConnection.disconnect();
});
