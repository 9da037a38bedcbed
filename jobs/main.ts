/** `npm run start:workers`: the BullMQ workers as their own process. */
import { loadConfig } from '../lib/config.js';
import { startHttpServer } from '../lib/http-server.js';
import { createLogger } from '../lib/logger.js';
import { createRegistry, JobMetrics, metricsRoute, outsideTimeCounter, platformRecordMismatchCounter } from '../lib/metrics.js';
import { createCourierClient, createNotifyClient, createPlatformClients } from '../lib/platforms.js';
import { ShipmentStore } from '../ledger/shipments/shipment.store.js';
import { courierCaseEffects } from './courier-case-effects.js';
import { requireDurability, createQueueConnection, createRedis, logRedisErrors } from '../lib/redis.js';
import { onShutdown } from '../lib/shutdown.js';
import { createCaseWorkflow } from '../ledger/ledger.js';
import { getDefaultCalendar } from '../domain/calendar/index.js';
import { AlertStore } from '../ledger/alerts/alert.store.js';
import { createJobQueues } from '../queues/job-queues.js';
import { createProcessors, workerFileDeps } from './processors.js';
import { bullPrefix } from '../queues/queues.js';
import { scheduleRecurringJobs } from './schedules.js';
import { startWorkers, workerHealthRoute } from './worker-host.js';
import { CertificateStore } from '../ledger/certificates/certificate.store.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, service: 'workers' });
const redisUrl = config.redis.url ?? 'redis://127.0.0.1:6379';
const prefix = bullPrefix(config.redis.keyPrefix);
const redis = createRedis(redisUrl, config.redis.keyPrefix);
const connection = createQueueConnection(redisUrl);
logRedisErrors(redis, logger, 'stores');
logRedisErrors(connection, logger, 'queues');
if (config.env === 'production') await requireDurability(redis, logger);
const calendar = getDefaultCalendar();
const queues = createJobQueues(connection, config.redis.keyPrefix, calendar);
const platforms = createPlatformClients(config);
// Job metrics live where the jobs run; Prometheus scrapes each worker process on its own port.
const registry = createRegistry();
const countOutsideTime = outsideTimeCounter(registry);
const countRecordMismatch = platformRecordMismatchCounter(registry);
const fileDeps = workerFileDeps(config.files, redis);
const { workflow, store, directory, now } = createCaseWorkflow({
  redis,
  fileStore: fileDeps.files,
  platforms,
  transfers: queues.transfers,
  notifications: queues.notifications,
  alerts: queues.alerts,
  files: config.files.policy,
  verifyBaseUrl: config.certificates.verifyBaseUrl,
  calendar,
  onOutsideTime: (report) => {
    logger.warn(report, `${report.source} reported a time outside [last clock event, now]: bounded`);
    countOutsideTime(report.source);
  },
});
const processors = createProcessors({
  workflow,
  store,
  alerts: new AlertStore(redis),
  directory,
  calendar,
  platforms,
  ...fileDeps,
  archiveAfterDays: config.jobs.archiveAfterDays,
  certificates: new CertificateStore(redis),
  notify: createNotifyClient(config),
  courier: createCourierClient(config),
  shipments: new ShipmentStore(redis),
  caseEffects: courierCaseEffects(workflow),
  queues,
  now,
  onPlatformRecordMismatch: (mismatch) => {
    logger.warn({ code: mismatch.code, platformCaseId: mismatch.platformCaseId, businessNo: mismatch.businessNo, recordBusinessNo: mismatch.recordBusinessNo }, mismatch.message);
    countRecordMismatch();
  },
});
await scheduleRecurringJobs(connection, prefix, config.jobs);
const host = startWorkers({
  connection,
  prefix,
  processors,
  logger,
  metrics: new JobMetrics(registry),
  workerOptions: { lockDuration: config.jobs.lockDurationMs, stalledInterval: config.jobs.stalledIntervalMs },
});
const metricsHttp = await startHttpServer({ host: config.metrics.host, port: config.metrics.workersPort, logger, routes: [metricsRoute(registry), workerHealthRoute(host, redis)] });
logger.info({ queues: Object.keys(processors), metrics: `${metricsHttp.url}/metrics`, health: `${metricsHttp.url}/health` }, `workers running for ${host.workers.length} queue(s)`);
onShutdown(logger, async () => {
  await metricsHttp.close();
  await host.close();
  await queues.close();
  connection.disconnect();
  redis.disconnect();
});
