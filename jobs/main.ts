/** `npm run start:workers`: the BullMQ workers as their own process. */
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { createQueueConnection } from '../lib/redis.js';
import { onShutdown } from '../lib/shutdown.js';
import { bullPrefix } from './queues.js';
import { PROCESSORS } from './processors.js';
import { startWorkers } from './worker-host.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, service: 'workers' });
const connection = createQueueConnection(config.redis.url ?? 'redis://127.0.0.1:6379');
const host = startWorkers({ connection, prefix: bullPrefix(config.redis.keyPrefix), processors: PROCESSORS, logger });
logger.info({ queues: Object.keys(PROCESSORS) }, `workers running for ${host.workers.length} queue(s)`);
onShutdown(logger, async () => {
  await host.close();
  connection.disconnect();
});
