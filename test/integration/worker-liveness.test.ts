import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { QueueAdmin } from '../../queues/queue-admin.js';
import { bullPrefix, QUEUES } from '../../queues/queues.js';
import { startWorkers, workerHealthRoute } from '../../jobs/worker-host.js';
import { createLogger } from '../../lib/logger.js';
import { createRegistry, JobMetrics } from '../../lib/metrics.js';
import { createQueueConnection, deleteKeysWithPrefix } from '../../lib/redis.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const promtool = (() => {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('worker liveness', () => {
  const prefix = `tongban-test:liveness:${randomUUID()}:`;
  const connection = createQueueConnection(REDIS_URL);

  afterAll(async () => {
    connection.disconnect();
    await deleteKeysWithPrefix(REDIS_URL, prefix);
  });

  it('says on /health whether the host\'s workers run, and records when each queue last had a job taken', async () => {
    const registry = createRegistry();
    const host = startWorkers({
      connection,
      prefix: bullPrefix(prefix),
      processors: { [QUEUES.notifications]: async () => 'sent' },
      logger: createLogger({ level: 'silent', service: 'test' }),
      metrics: new JobMetrics(registry),
      workerOptions: { drainDelay: 1 },
    });
    const route = workerHealthRoute(host, connection);
    const queue = new Queue(QUEUES.notifications, { connection, prefix: bullPrefix(prefix) });
    const adminConnection = connection.duplicate({ keyPrefix: prefix });
    const admin = QueueAdmin.over(adminConnection);
    try {
      await Promise.all(host.workers.map((worker) => worker.waitUntilReady()));
      const healthy = await route.handler({ method: 'GET', path: '/health', search: '', headers: {}, rawBody: Buffer.alloc(0), requestId: 'r' });
      expect([healthy.status, JSON.parse(String(healthy.body))]).toEqual([200, { status: 'ok', workers: 1, stopped: [], redis: 'ok' }]);

      const before = Date.now() / 1000;
      const job = await queue.add('m', {});
      for (const deadline = Date.now() + 5_000; !(await job.isCompleted()); ) {
        if (Date.now() > deadline) throw new Error('job not taken');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const [taken] = (await registry.getSingleMetric('tongban_worker_last_job_timestamp_seconds')!.get()).values;
      expect(taken).toMatchObject({ labels: { queue: QUEUES.notifications } });
      expect(taken!.value).toBeGreaterThanOrEqual(Math.floor(before));
      const connected = (await admin.workers()).find((entry) => entry.queue === QUEUES.notifications);
      expect(connected?.workers).toBe(1);
    } finally {
      await host.close();
      await queue.close();
    }
    const stopped = await route.handler({ method: 'GET', path: '/health', search: '', headers: {}, rawBody: Buffer.alloc(0), requestId: 'r' });
    expect([stopped.status, JSON.parse(String(stopped.body))]).toEqual([503, { status: 'unavailable', workers: 1, stopped: [QUEUES.notifications], redis: 'ok' }]);
    expect((await admin.workers()).find((entry) => entry.queue === QUEUES.notifications)?.workers).toBe(0);
    await admin.close();
    adminConnection.disconnect();
  });

  // promtool comes with Debian's prometheus package (.ci/run installs it).
  it.skipIf(!promtool)('alerts when jobs wait and no worker takes them, and not otherwise (promtool test rules)', () => {
    expect(execFileSync('promtool', ['check', 'rules', 'jobs/alerts.rules.yml'], { encoding: 'utf8' })).toContain('SUCCESS: 4 rules found');
    expect(execFileSync('promtool', ['test', 'rules', 'alerts.rules.test.yml'], { cwd: 'test/prometheus', encoding: 'utf8' })).toContain('SUCCESS');
  });
});
