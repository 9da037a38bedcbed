import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffAt, startTestStack, type TestStack } from '../support/stack.js';
import { application, DISPATCH, FAST_STALL_RECOVERY, gql, OFFICE_HOURS, RECEIVE, ROUTES, startWorkerProcess, transferQueue, until, type ServiceProcess } from '../support/process.kit.js';
import { scanMaterials } from '../support/scans.kit.js';

/**
 * The workers run as `jobs/main.ts` does in production, in a process of their
 * own, and are SIGKILLed while a transfer waits on the platform — after the
 * platform has the submission, before tongban has its answer. A new worker
 * process must pick the job up through BullMQ's stalled-job check, and the
 * platform must still end up with one case.
 */
const ROUTE = ROUTES[0]!;
const PLATFORM_LATENCY_MS = 1500;
// With FAST_STALL_RECOVERY's lock and stalled check (BullMQ's defaults would take 30–90 s).
const RECOVERY_TIMEOUT_MS = 30_000;

describe('a worker process killed mid-transfer', () => {
  let stack: TestStack;
  let jobs: ReturnType<typeof transferQueue>;
  const workers: ServiceProcess[] = [];

  beforeAll(async () => {
    // No in-process workers: the child processes are the only consumers of the queue.
    stack = await startTestStack({ now: () => OFFICE_HOURS, workers: false });
    jobs = transferQueue(stack.redisUrl, stack.prefix);
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop('SIGKILL')));
    await jobs?.close();
    await stack?.close();
  });

  it('recovers the job in a new worker process and forwards the case once', async () => {
    const staff = staffAt(ROUTE.windowId);
    const { receiveApplication } = await gql(stack, staff, RECEIVE, { input: application(ROUTE.item, ROUTE.windowId, 'worker-crash') });
    const businessNo: string = receiveApplication.businessNo;
    await scanMaterials(stack, businessNo);

    const first = await startWorkerProcess(stack, FAST_STALL_RECOVERY, workers);
    stack.sichuan.setFaults({ latencyMs: PLATFORM_LATENCY_MS });
    stack.sichuan.resetCounts();
    await gql(stack, staff, DISPATCH, { no: businessNo });

    // The submission has reached the platform, which answers only after the latency: kill the worker now.
    await until('submission in flight', () => stack.sichuan.requestCounts()['/gateway/case/submit'] >= 1, 15_000, 10);
    const killedAt = Date.now();
    expect(await first.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await jobs.queue.getJobState(`transfer-${businessNo}`)).toBe('active');
    // The platform takes the submission all the same; tongban has no answer for it.
    await until('platform case created', () => stack.sichuan.cases().some((c) => c.businessNo === businessNo), 5_000);
    expect((await stack.workflow.get(businessNo)).platformCaseId).toBeNull();

    await startWorkerProcess(stack, FAST_STALL_RECOVERY, workers);
    const platformCaseId = await until('case forwarded after the crash', async () => (await stack.workflow.get(businessNo)).platformCaseId, RECOVERY_TIMEOUT_MS, 250);
    const recoveredMs = Date.now() - killedAt;

    // The case is recorded as forwarded just before BullMQ marks the job completed.
    await until('job completed', async () => (await jobs.queue.getJobState(`transfer-${businessNo}`)) === 'completed', 5_000);
    const onPlatform = stack.sichuan.cases().filter((c) => c.businessNo === businessNo);
    expect(onPlatform.map((c) => c.caseId)).toEqual([platformCaseId]);
    const submissions = stack.sichuan.requestCounts()['/gateway/case/submit'];
    // The retry was sent and answered with the case the first attempt created.
    expect(submissions).toBeGreaterThanOrEqual(2);
    const events = (await stack.store.events(businessNo)).map((event) => event.type);
    expect(events.filter((type) => type === 'FORWARDED_TO_PLATFORM')).toHaveLength(1);

    console.info('[chaos:worker-crash]', JSON.stringify({ platformLatencyMs: PLATFORM_LATENCY_MS, recoveredMs, submissions, platformCases: onPlatform.length }));
  }, RECOVERY_TIMEOUT_MS + 60_000);
});
