import { Writable } from 'node:stream';
import { Queue, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { startGateway } from '../../gateway/gateway.server.js';
import { MaterialTransferQueue } from '../../queues/material-transfer.queue.js';
import { bullPrefix, QUEUES } from '../../queues/queues.js';
import { startWorkers } from '../../jobs/worker-host.js';
import type { Caller } from '../../lib/auth/caller.js';
import { createLogger, withRequestId } from '../../lib/logger.js';
import { createRegistry, JobMetrics } from '../../lib/metrics.js';
import { freePort } from '../../lib/local-redis.js';
import { createQueueConnection, deleteKeysWithPrefix } from '../../lib/redis.js';
import { DEFAULT_CALLER, startTestStack, testPrefix, type TestStack } from '../support/stack.js';
import { scanMaterials } from '../support/scans.kit.js';

const OPS: Caller = { subject: 'ops-1', role: 'OPS', region: 'CHONGQING', windowId: null };
const SUPERVISOR: Caller = { subject: 's-cq', role: 'SUPERVISOR', region: 'CHONGQING', windowId: null };
const ITEM = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const TRANSFERS = QUEUES.materialTransfer;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus' text format, as far as these tests read it: `name{label="value",…} number` lines. */
function parseExposition(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not an exposition line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

function sample(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

async function waitFor<T>(read: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const QUEUES_QUERY = /* GraphQL */ `
  {
    queues {
      name
      paused
      counts { waiting active delayed completed failed }
      latestFailed(first: 5) { id queue name state failedReason attemptsMade timestamp finishedAt }
    }
  }
`;

interface QueueStatusView {
  name: string;
  counts: Record<string, number>;
  latestFailed: { id: string; failedReason: string | null; attemptsMade: number; timestamp: string; finishedAt: string | null }[];
}

describe('ops', () => {
  let stack: TestStack;
  let queueConnection: Redis;
  let transfers: MaterialTransferQueue;
  let transferQueue: Queue;
  const receivedAt = new Date('2025-11-24T10:00:00+08:00');

  const scrape = async (url = stack.gateway.url) => {
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return parseExposition(await response.text());
  };
  const queueStatus = async (caller: Caller = OPS) => {
    const result = await stack.as(caller).query<{ queues: QueueStatusView[] }>(QUEUES_QUERY);
    expect(result.errors).toBeUndefined();
    return result.data!.queues.find((queue) => queue.name === TRANSFERS)!;
  };
  const receive = async () =>
    (
      await stack.workflow.receiveApplication(
        {
          windowId: 'W-500000-01',
          itemCode: ITEM.code,
          applicant: { kind: 'PERSON', name: '王小明', idNumber: '11010519491231002X' } as never,
          contact: { name: '王小明', phone: '13812345678' },
          delivery: { method: 'PICKUP' },
          materials: ITEM.materials.map(({ name, form, copies }) => ({ name, form, copies })),
          handler: '李四',
        },
        'test',
      )
    ).record;

  beforeAll(async () => {
    stack = await startTestStack({ now: () => receivedAt });
    queueConnection = createQueueConnection(stack.redisUrl);
    transfers = new MaterialTransferQueue(queueConnection, bullPrefix(stack.prefix));
    transferQueue = new Queue(TRANSFERS, { connection: queueConnection, prefix: bullPrefix(stack.prefix) });
  });

  afterAll(async () => {
    await transfers?.close();
    await transferQueue?.close();
    queueConnection?.disconnect();
    await stack?.close();
  });

  describe('/metrics', () => {
    it('counts requests, errors by code and subgraph latency, and reads queue depth and overdue cases at scrape time', async () => {
      // Received a year ago with a 10-working-day promise: overdue by now.
      await receive();
      const before = await scrape();
      const requestsBefore = sample(before, 'tongban_graphql_requests_total', { operation: 'query' }) ?? 0;
      const windowsFetchesBefore = sample(before, 'tongban_subgraph_fetch_duration_seconds_count', { subgraph: 'windows', outcome: 'ok' }) ?? 0;

      for (let i = 0; i < 3; i += 1) expect((await stack.query('{ windows(region: SICHUAN) { id } }')).errors).toBeUndefined();
      const forbidden = await stack.as(SUPERVISOR).query(QUEUES_QUERY);
      expect(forbidden.errors?.[0]?.extensions?.code).toBe('AUTH.FORBIDDEN');
      const anonymous = await fetch(`${stack.gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ windows { id } }' }),
      });
      expect(anonymous.status).toBe(401);

      const after = await scrape();
      expect(sample(after, 'tongban_graphql_requests_total', { operation: 'query' })).toBe(requestsBefore + 4);
      expect(sample(after, 'tongban_graphql_errors_total', { operation: 'query', code: 'AUTH.FORBIDDEN' })).toBe(1);
      expect(sample(after, 'tongban_graphql_errors_total', { operation: 'unknown', code: 'AUTH.UNAUTHENTICATED' })).toBe(1);
      expect(sample(after, 'tongban_graphql_request_duration_seconds_count', { operation: 'query' })).toBe(requestsBefore + 4);
      expect(sample(after, 'tongban_subgraph_fetch_duration_seconds_count', { subgraph: 'windows', outcome: 'ok' })).toBe(windowsFetchesBefore + 3);
      const infBucket = { subgraph: 'windows', outcome: 'ok', le: '+Inf' };
      expect(sample(after, 'tongban_subgraph_fetch_duration_seconds_bucket', infBucket)).toBe(windowsFetchesBefore + 3);
      expect(sample(after, 'tongban_subgraph_fetch_duration_seconds_bucket', { ...infBucket, le: '10' })).toBeGreaterThan(0);

      for (const queue of Object.values(QUEUES)) {
        for (const state of ['waiting', 'active', 'delayed', 'completed', 'failed']) {
          expect([queue, state, sample(after, 'tongban_queue_jobs', { queue, state })]).toEqual([queue, state, expect.any(Number)]);
        }
      }
      const timetable = await stack.queues.alerts.scheduledCount();
      expect(timetable).toBeGreaterThan(0);
      expect(sample(after, 'tongban_alerts_scheduled', { queue: QUEUES.deadlineAlerts })).toBe(timetable);
      const overdue = await stack.store.list({ clockStatus: 'OVERDUE' }, 0, 100, new Date());
      expect(overdue.total).toBeGreaterThan(0);
      expect((sample(after, 'tongban_cases_overdue', { clock: 'running' }) ?? 0) + (sample(after, 'tongban_cases_overdue', { clock: 'paused' }) ?? 0)).toBe(overdue.total);
      expect(sample(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    });

    it('in production, answers on the API port only with an OPS token', async () => {
      const gateway = await startGateway({
        ...stack.gatewayOptions,
        production: true,
        subgraphUrls: Object.fromEntries(Object.entries(stack.subgraphs).map(([name, server]) => [name, `${server.url}/graphql`])),
        subgraphTimeoutMs: 5000,
      });
      try {
        expect((await fetch(`${gateway.url}/metrics`)).status).toBe(401);
        const staff = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${await stack.token(SUPERVISOR)}` } });
        expect(staff.status).toBe(403);
        const ops = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${await stack.token(OPS)}` } });
        expect([ops.status, await ops.text()]).toEqual([200, expect.stringContaining('tongban_queue_jobs')]);
      } finally {
        await gateway.close();
      }
    });

    it('moves to its own listener when one is configured, off the API port', async () => {
      const port = await freePort();
      const gateway = await startGateway({
        ...stack.gatewayOptions,
        subgraphUrls: Object.fromEntries(Object.entries(stack.subgraphs).map(([name, server]) => [name, `${server.url}/graphql`])),
        subgraphTimeoutMs: 5000,
        metricsListener: { host: '127.0.0.1', port },
      });
      try {
        expect((await fetch(`${gateway.url}/metrics`)).status).toBe(404);
        expect(sample(await scrape(`http://127.0.0.1:${port}`), 'tongban_queue_jobs', { queue: TRANSFERS, state: 'failed' })).toEqual(expect.any(Number));
      } finally {
        await gateway.close();
      }
    });
  });

  describe('queues through GraphQL', () => {
    it('shows each queue with its counts and latest dead letters, to ops only', async () => {
      await withRequestId('req-ops-dead-letter', () => transfers.enqueue('TB-NO-SUCH-CASE', 'ONLINE'));
      const status = await waitFor(async () => {
        const current = await queueStatus();
        // Counts and the latest jobs are two reads: the job may fail between them.
        return (current.counts.failed ?? 0) >= 1 && current.latestFailed.some((job) => job.id === 'transfer-TB-NO-SUCH-CASE') && current;
      });
      expect(status.counts.failed).toBeGreaterThanOrEqual(1);
      const failed = status.latestFailed.find((job) => job.id === 'transfer-TB-NO-SUCH-CASE')!;
      expect(failed).toMatchObject({ queue: TRANSFERS, name: 'transfer', state: 'failed', failedReason: 'case TB-NO-SUCH-CASE does not exist', attemptsMade: 1 });
      expect(Date.parse(failed.timestamp)).toBeLessThanOrEqual(Date.parse(failed.finishedAt!));
      // The request that queued the job is in its data, for the worker's logs.
      expect((await transferQueue.getJob('transfer-TB-NO-SUCH-CASE'))?.data.requestId).toBe('req-ops-dead-letter');

      const result = await stack.as(OPS).query<{ queues: { name: string }[] }>('{ queues { name } }');
      expect(result.data?.queues.map((queue) => queue.name).sort()).toEqual(Object.values(QUEUES).sort());

      for (const caller of [DEFAULT_CALLER, SUPERVISOR]) {
        for (const query of [
          '{ queues { name } }',
          `mutation { retryJob(queue: "${TRANSFERS}", jobId: "transfer-TB-NO-SUCH-CASE") { id } }`,
          `mutation { replayDeadLetters(queue: "${TRANSFERS}") }`,
        ]) {
          const refused = await stack.as(caller).query(query);
          expect([caller.role, query, refused.errors?.[0]?.extensions?.code]).toEqual([caller.role, query, 'AUTH.FORBIDDEN']);
        }
      }
    });

    it('retries a dead-lettered transfer once the cause is fixed, and refuses what cannot be retried', async () => {
      // Queued before the case was dispatched: the transfer fails for good, and dispatching later cannot queue it again (same job id).
      const record = await receive();
      const jobId = `transfer-${record.businessNo}`;
      await transfers.enqueue(record.businessNo, 'ONLINE');
      await waitFor(async () => (await transferQueue.getJob(jobId))?.failedReason);
      await scanMaterials(stack, record.businessNo);
      await stack.workflow.dispatchMaterials(record.businessNo, 'ONLINE', 'test');
      expect((await transferQueue.getJob(jobId))?.finishedOn).toBeDefined();
      expect(await (await transferQueue.getJob(jobId))?.getState()).toBe('failed');

      const retried = await stack.as(OPS).query<{ retryJob: { id: string; state: string; attemptsMade: number; failedReason: string | null } }>(
        'mutation ($q: String!, $id: ID!) { retryJob(queue: $q, jobId: $id) { id state attemptsMade failedReason } }',
        { q: 'material-transfer', id: jobId },
      );
      expect(retried.errors).toBeUndefined();
      expect(retried.data?.retryJob).toMatchObject({ id: jobId, attemptsMade: 0, failedReason: null });
      expect(await waitFor(async () => (await stack.workflow.get(record.businessNo)).platformCaseId)).toBeTruthy();

      const codes = async (query: string) => (await stack.as(OPS).query(query)).errors?.map((error) => error.extensions?.code);
      expect(await codes(`mutation { retryJob(queue: "${TRANSFERS}", jobId: "${jobId}") { id } }`)).toEqual(['JOB.NOT_FAILED']);
      expect(await codes(`mutation { retryJob(queue: "${TRANSFERS}", jobId: "transfer-TB-NEVER-QUEUED") { id } }`)).toEqual(['JOB.NOT_FOUND']);
      expect(await codes('mutation { retryJob(queue: "no-such-queue", jobId: "1") { id } }')).toEqual(['QUEUE.NOT_FOUND']);
      expect(await codes(`mutation { replayDeadLetters(queue: "${TRANSFERS}", limit: 0) }`)).toEqual(['INPUT.INVALID_LIMIT']);
    });

    it('replays up to a limit of dead letters', async () => {
      await transfers.enqueue('TB-GONE-1', 'ONLINE');
      await transfers.enqueue('TB-GONE-2', 'ONLINE');
      await waitFor(async () => (await transferQueue.getFailedCount()) >= 3);
      const failedBefore = await transferQueue.getFailedCount();

      const one = await stack.as(OPS).query<{ replayDeadLetters: number }>(`mutation { replayDeadLetters(queue: "${TRANSFERS}", limit: 1) }`);
      expect(one.data?.replayDeadLetters).toBe(1);
      // The replayed job fails again (its case still does not exist) and comes back as a dead letter.
      await waitFor(async () => (await transferQueue.getFailedCount()) === failedBefore && (await transferQueue.getWaitingCount()) === 0);
      const all = await stack.as(OPS).query<{ replayDeadLetters: number }>(`mutation { replayDeadLetters(queue: "${TRANSFERS}") }`);
      expect(all.data?.replayDeadLetters).toBe(failedBefore);
    });
  });

  describe('/ops/queues', () => {
    const page = (path: string, headers: Record<string, string> = {}) => fetch(`${stack.gateway.url}${path}`, { headers, redirect: 'manual' });
    const bearer = async (caller: Caller) => ({ authorization: `Bearer ${await stack.token(caller)}` });

    it('admits the OPS role only, by bearer header or by the cookie /ops/login sets', async () => {
      expect((await page('/ops/queues/')).status).toBe(401);
      expect((await page('/ops/queues/api/queues')).status).toBe(401);
      expect((await page('/ops/queues/static/images/logo.svg')).status).toBe(401);
      expect((await page('/ops/queues/', await bearer(DEFAULT_CALLER))).status).toBe(403);
      expect((await page('/ops/queues/', { cookie: 'ops_token=not-a-token' })).status).toBe(401);
      expect((await page(`/ops/login?token=${await stack.token(DEFAULT_CALLER)}`)).status).toBe(403);
      expect((await page('/ops/login?token=forged')).status).toBe(401);

      const byHeader = await page('/ops/queues/', await bearer(OPS));
      expect(byHeader.status).toBe(200);
      const html = await byHeader.text();
      expect(html).toContain('<base href="/ops/queues/"');
      expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);

      const login = await page(`/ops/login?token=${await stack.token(OPS)}`);
      expect(login.status).toBe(303);
      expect(login.headers.get('location')).toBe('/ops/queues/');
      const cookie = login.headers.get('set-cookie')!;
      expect(cookie).toMatch(/^ops_token=[\w.-]+; Path=\/ops; HttpOnly; SameSite=Strict$/);
      const session = { cookie: cookie.split(';')[0]! };
      expect((await page('/ops/queues/', session)).status).toBe(200);
      expect((await page('/ops/queues/queue/%7Bmaterial-transfer%7D', session)).status).toBe(200);
      expect((await page('/ops/queues/static/images/logo.svg', session)).headers.get('content-type')).toBe('image/svg+xml');
      expect((await page('/ops/queues/static/../../../package.json', session)).status).toBe(404);
      expect((await page('/ops/queues', session)).headers.get('location')).toBe('/ops/queues/');

      const api = await page('/ops/queues/api/queues', session);
      expect(api.status).toBe(200);
      const board = (await api.json()) as { queues: { name: string }[] };
      expect(board.queues.map((queue) => queue.name).sort()).toEqual(Object.values(QUEUES).sort());
    });

    it('lets the dashboard act on jobs (PUT through the adapter)', async () => {
      await transfers.enqueue('TB-BOARD-RETRY', 'ONLINE');
      const jobId = 'transfer-TB-BOARD-RETRY';
      await waitFor(async () => (await transferQueue.getJob(jobId))?.failedReason);
      const response = await fetch(`${stack.gateway.url}/ops/queues/api/queues/${encodeURIComponent(TRANSFERS)}/${jobId}/retry`, {
        method: 'PUT',
        headers: await bearer(OPS),
      });
      expect(response.status).toBe(204);
      // Processed again: a second attempt is on record.
      await waitFor(async () => ((await transferQueue.getJob(jobId))?.attemptsStarted ?? 0) >= 2);
    });
  });

  describe('/graphiql', () => {
    it('is served from local packages outside production only', async () => {
      const page = await fetch(`${stack.gateway.url}/graphiql`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).not.toMatch(/https?:\/\//);
      for (const asset of html.matchAll(/(?:src|href)="(graphiql\/assets\/[^"]+)"/g)) {
        const response = await fetch(`${stack.gateway.url}/${asset[1]}`);
        expect([asset[1], response.status]).toEqual([asset[1], 200]);
      }
      expect((await fetch(`${stack.gateway.url}/graphiql/assets/constructor`)).status).toBe(404);

      const production = await startGateway({
        ...stack.gatewayOptions,
        production: true,
        subgraphUrls: Object.fromEntries(Object.entries(stack.subgraphs).map(([name, server]) => [name, `${server.url}/graphql`])),
        subgraphTimeoutMs: 5000,
      });
      try {
        expect((await fetch(`${production.url}/graphiql`)).status).toBe(404);
        expect((await fetch(`${production.url}/graphiql/assets/graphiql.min.js`)).status).toBe(404);
      } finally {
        await production.close();
      }
    });
  });
});

describe('worker host', () => {
  const prefix = testPrefix();
  let connection: Redis;

  beforeAll(() => {
    connection = createQueueConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  });

  afterAll(async () => {
    connection?.disconnect();
    await deleteKeysWithPrefix(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix);
  });

  it('runs each job under the request id that queued it and records durations and failures', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger(
      { level: 'info', service: 'test' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
          done();
        },
      }),
    );
    const registry = createRegistry();
    const queue = new Queue(QUEUES.notifications, { connection, prefix: bullPrefix(prefix) });
    const host = startWorkers({
      connection,
      prefix: bullPrefix(prefix),
      logger,
      metrics: new JobMetrics(registry),
      workerOptions: { drainDelay: 1 },
      processors: {
        [QUEUES.notifications]: async (job) => {
          logger.info({ jobId: job.id }, 'processing');
          if (job.data.fail) throw new UnrecoverableError('cannot be done');
          return 'done';
        },
      },
    });
    try {
      await queue.add('ok', { requestId: 'req-from-mutation' }, { jobId: 'ok' });
      await queue.add('no-request', {}, { jobId: 'no-request' });
      await queue.add('bad', { requestId: 'req-bad', fail: true }, { jobId: 'bad', attempts: 3 });
      await waitFor(async () => (await queue.getCompletedCount()) === 2 && (await queue.getFailedCount()) === 1);

      const processing = Object.fromEntries(lines.filter((line) => line.msg === 'processing').map((line) => [line.jobId, line.requestId]));
      expect(processing).toEqual({ ok: 'req-from-mutation', 'no-request': 'no-request', bad: 'req-bad' });
      await waitFor(async () => lines.find((line) => line.msg === 'job failed'));
      expect(lines.find((line) => line.msg === 'job failed')).toMatchObject({ jobId: 'bad', requestId: 'req-bad' });

      const samples = parseExposition(await registry.metrics());
      const labels = { queue: QUEUES.notifications };
      expect(sample(samples, 'tongban_job_duration_seconds_count', { ...labels, outcome: 'completed' })).toBe(2);
      expect(sample(samples, 'tongban_job_duration_seconds_count', { ...labels, outcome: 'failed' })).toBe(1);
      expect(sample(samples, 'tongban_job_failures_total', { ...labels, final: 'true' })).toBe(1);
    } finally {
      await host.close();
      await queue.close();
    }
  });
});
