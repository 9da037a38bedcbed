import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { SichuanClient } from '../../adapters/sichuan/sichuan.client.js';
import { YukuaibanClient } from '../../adapters/yukuaiban/yukuaiban.client.js';
import { bullPrefix, DEFAULT_JOB_OPTIONS, QUEUES } from '../../queues/queues.js';
import type { Caller } from '../../lib/auth/caller.js';
import { createQueueConnection } from '../../lib/redis.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { scanMaterials } from '../support/scans.kit.js';

const run = promisify(execFile);
const OPS: Caller = { subject: 'ops-1', role: 'OPS', region: 'CHONGQING', windowId: null };
const ITEM = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const TRANSFERS = QUEUES.materialTransfer;
// Cool-down short enough that the replay after the fault finds the circuit ready for a probe.
const BREAKER = { failureThreshold: 5, resetAfterMs: 50 };

async function waitFor<T>(read: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('an outage rehearsed through the sandbox fault control', () => {
  let stack: TestStack;
  let connection: Redis;
  let transferQueue: Queue;
  let faultsUrl: string;

  /** `npm run ops -- …` as ops type it, against this stack's Sichuan sandbox. */
  const ops = async (...args: string[]) => {
    const env = { ...process.env, HOST: '127.0.0.1', SICHUAN_SANDBOX_PORT: String(stack.sichuan.port), LOG_LEVEL: 'silent' };
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/ops.ts', ...args], { env });
      return { exitCode: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { exitCode: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  const failedTransfersGauge = async () => {
    const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('tongban_queue_jobs{') && l.includes(`queue="${TRANSFERS}"`) && l.includes('state="failed"'));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };

  beforeAll(async () => {
    stack = await startTestStack({
      now: () => new Date('2025-11-24T10:00:00+08:00'),
      platforms: (config, urls) => {
        const { yukuaiban, sichuan, timeoutMs } = config.platforms;
        return {
          SICHUAN: new SichuanClient({ baseUrl: urls.SICHUAN, appId: sichuan.appId, appSecret: sichuan.appSecret, timeoutMs, circuitBreaker: BREAKER }),
          CHONGQING: new YukuaibanClient({ baseUrl: urls.CHONGQING, appKey: yukuaiban.appKey, appSecret: yukuaiban.appSecret, timeoutMs, circuitBreaker: BREAKER }),
        };
      },
    });
    connection = createQueueConnection(stack.redisUrl);
    transferQueue = new Queue(TRANSFERS, { connection, prefix: bullPrefix(stack.prefix) });
    faultsUrl = `${stack.sichuan.url}/__faults`;
  }, 60_000);

  afterAll(async () => {
    await transferQueue?.close();
    connection?.disconnect();
    await stack?.close();
  });

  it('reads, replaces and clears a sandbox faults over HTTP, and refuses bad settings with a code', async () => {
    const put = (body: string) => fetch(faultsUrl, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
    const answer = async (response: Response) => [response.status, await response.json()];

    expect(await answer(await fetch(faultsUrl))).toEqual([200, { faults: {} }]);
    expect(await answer(await put('{"latencyMs":5,"errorRate":0.25}'))).toEqual([200, { faults: { latencyMs: 5, errorRate: 0.25 } }]);
    // PUT replaces: what it leaves out is off.
    expect(await answer(await put('{"timeoutRate":0}'))).toEqual([200, { faults: { timeoutRate: 0 } }]);
    for (const [body, where] of [
      ['{"errorRate":2}', 'errorRate'],
      ['{"latencyMs":-1}', 'latencyMs'],
      ['{"latencyMs":"slow"}', 'latencyMs'],
      ['{"errorrate":1}', 'errorrate'],
      ['[]', 'body'],
      ['{"errorRate":', 'body'],
    ] as const) {
      const refused = await put(body);
      const payload = (await refused.json()) as { error: { code: string; message: string } };
      expect([body, refused.status, payload.error.code, payload.error.message.startsWith(`${where}:`)]).toEqual([body, 400, 'SANDBOX.INVALID_FAULTS', true]);
    }
    expect(await answer(await fetch(faultsUrl))).toEqual([200, { faults: { timeoutRate: 0 } }]);
    const patch = await fetch(faultsUrl, { method: 'PATCH', body: '{}' });
    expect([patch.status, patch.headers.get('allow'), ((await patch.json()) as { error: { code: string } }).error.code]).toEqual([
      405,
      'GET, PUT, DELETE',
      'SANDBOX.METHOD_NOT_ALLOWED',
    ]);
    expect(await answer(await fetch(faultsUrl, { method: 'DELETE' }))).toEqual([200, { faults: {} }]);
    // Control requests are not platform traffic: nothing counted.
    expect(Object.values(stack.sichuan.requestCounts()).reduce((sum, n) => sum + n, 0)).toBe(0);

    // The same control on every sandbox, over the faults its API draws from.
    for (const sandbox of [stack.yukuaiban, stack.courier, stack.notify]) {
      const url = `${sandbox.url}/__faults`;
      const set = await fetch(url, { method: 'PUT', body: '{"rateLimitRate":1,"retryAfterSeconds":7}' });
      expect([url, await set.json()]).toEqual([url, { faults: { rateLimitRate: 1, retryAfterSeconds: 7 } }]);
      expect([url, await (await fetch(url, { method: 'DELETE' })).json()]).toEqual([url, { faults: {} }]);
      expect([url, (await fetch(url, { method: 'PUT', body: '{"latencyMs":1.5}' })).status]).toEqual([url, 400]);
    }

    const bad = await ops('fault', 'sichuan', 'errorRate=often');
    expect([bad.exitCode, bad.stderr.trim()]).toEqual([1, expect.stringMatching(/^SANDBOX\.INVALID_FAULTS: errorRate:/)]);
    expect((await ops('fault', 'ykb', 'errorRate=1')).exitCode).toBe(2);
  }, 60_000);

  it('dead-letters a transfer while the platform fails every call, shows it to ops, and forwards the case on replay', async () => {
    expect(await failedTransfersGauge()).toBe(0);
    const { record } = await stack.workflow.receiveApplication(
      {
        windowId: 'W-500000-01',
        itemCode: ITEM.code,
        applicant: { kind: 'ORGANISATION', name: '重庆某某检测技术有限公司', idNumber: '91350100M000100Y43' },
        contact: { name: '赵工', phone: '13812345678' },
        delivery: { method: 'PICKUP' },
        materials: ITEM.materials.map(({ name, form, copies }) => ({ name, form, copies })),
        handler: '李四',
      },
      'test',
    );
    // The platform goes down after the case was received (receipt reads its catalog), before the dispatch.
    const down = await ops('fault', 'sichuan', 'errorRate=1');
    expect([down.exitCode, down.stdout.trim()]).toEqual([0, 'sichuan sandbox faults: {"errorRate":1}']);
    await scanMaterials(stack, record.businessNo);
    await stack.workflow.dispatchMaterials(record.businessNo, 'ONLINE', 'test');
    const jobId = `transfer-${record.businessNo}`;

    // The production backoff spaces the attempts over two minutes; each retry is brought forward instead.
    const failed = await waitFor(async () => {
      const job = await transferQueue.getJob(jobId);
      const state = await job?.getState();
      if (state === 'delayed') await job!.promote().catch(() => undefined);
      // Read again: the job fetched above may predate the last attempt that the state now shows failed.
      return state === 'failed' && (await transferQueue.getJob(jobId));
    }, 60_000);
    expect(failed.attemptsMade).toBe(DEFAULT_JOB_OPTIONS.attempts);
    expect(stack.sichuan.cases()).toEqual([]);
    expect(await stack.workflow.get(record.businessNo)).toMatchObject({ stage: 'IN_TRANSFER' });
    expect((await stack.workflow.get(record.businessNo)).platformCaseId).toBeFalsy();

    const queues = await stack.as(OPS).query<{ queues: { name: string; counts: { failed: number }; latestFailed: { id: string; attemptsMade: number; failedReason: string | null }[] }[] }>(
      '{ queues { name counts { failed } latestFailed(first: 5) { id attemptsMade failedReason } } }',
    );
    expect(queues.errors).toBeUndefined();
    const transfers = queues.data!.queues!.find((queue) => queue.name === TRANSFERS)!;
    expect(transfers.counts.failed).toBe(1);
    expect(transfers.latestFailed).toEqual([{ id: jobId, attemptsMade: DEFAULT_JOB_OPTIONS.attempts, failedReason: expect.stringContaining('四川一体化平台') }]);
    expect(await failedTransfersGauge()).toBe(1);

    const up = await ops('fault', 'sichuan', 'clear');
    expect([up.exitCode, up.stdout.trim()]).toEqual([0, 'sichuan sandbox faults: none']);
    const replayed = await stack.as(OPS).query<{ replayDeadLetters: number }>(`mutation { replayDeadLetters(queue: "${TRANSFERS}") }`);
    expect(replayed.data?.replayDeadLetters).toBe(1);

    const platformCaseId = await waitFor(async () => (await stack.workflow.get(record.businessNo)).platformCaseId);
    expect(stack.sichuan.cases().map((kase) => [kase.caseId, kase.businessNo])).toEqual([[platformCaseId, record.businessNo]]);
    expect(await waitFor(async () => (await transferQueue.getJob(jobId).then((job) => job?.getState())) === 'completed')).toBe(true);
    expect(await failedTransfersGauge()).toBe(0);
  }, 120_000);
});
