/** `npm run start:workers`: the BullMQ workers as their own process. */
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { createPlatformClients } from '../lib/platforms.js';
import { createQueueConnection, createRedis } from '../lib/redis.js';
import { onShutdown } from '../lib/shutdown.js';
import { createCaseWorkflow } from '../subgraphs/cases/server.js';
import { MaterialTransferQueue } from './material-transfer.queue.js';
import { createProcessors } from './processors.js';
import { bullPrefix } from './queues.js';
import { scheduleRecurringJobs } from './schedules.js';
import { startWorkers } from './worker-host.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, service: 'workers' });
const redisUrl = config.redis.url ?? 'redis://127.0.0.1:6379';
const prefix = bullPrefix(config.redis.keyPrefix);
const redis = createRedis(redisUrl, config.redis.keyPrefix);
const connection = createQueueConnection(redisUrl);
const transfers = new MaterialTransferQueue(connection, prefix);
const platforms = createPlatformClients(config);
const { workflow, store } = createCaseWorkflow({ redis, platforms, transfers });
const processors = createProcessors({ workflow, store, platforms, transfers });
await scheduleRecurringJobs(connection, prefix, { platformPollMs: config.jobs.platformPollMs });
const host = startWorkers({ connection, prefix, processors, logger });
logger.info({ queues: Object.keys(processors) }, `workers running for ${host.workers.length} queue(s)`);
onShutdown(logger, async () => {
  await host.close();
  await transfers.close();
  connection.disconnect();
  redis.disconnect();
});
