/** `npm run start:subgraph -- <name>`: one subgraph as its own process, as in production. */
import { loadConfig, SUBGRAPH_NAMES, type SubgraphName } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { createPlatformClients } from '../lib/platforms.js';
import { createRedis } from '../lib/redis.js';
import { onShutdown } from '../lib/shutdown.js';
import { startSubgraphByName } from './index.js';

const name = process.argv[2] as SubgraphName;
if (!SUBGRAPH_NAMES.includes(name)) {
  console.error(`usage: npm run start:subgraph -- <${SUBGRAPH_NAMES.join('|')}>`);
  process.exit(2);
}
const config = loadConfig();
const logger = createLogger({ level: config.logLevel, service: `subgraph-${name}` });
const redis = createRedis(config.redis.url ?? 'redis://127.0.0.1:6379', config.redis.keyPrefix);
const server = await startSubgraphByName(name, config.subgraphs[name].port, {
  redis,
  platforms: createPlatformClients(config),
  logger,
  host: config.host,
});
logger.info({ url: `${server.url}/graphql` }, `subgraph ${name} listening`);
onShutdown(logger, async () => {
  await server.close();
  redis.disconnect();
});
