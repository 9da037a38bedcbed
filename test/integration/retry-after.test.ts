import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { application, gql, RECEIVE, ROUTES, transferQueue, until } from '../support/process.kit.js';
import { staffAt, startTestStack, type TestStack } from '../support/stack.js';
import { scanMaterials } from '../support/scans.kit.js';

const ROUTE = ROUTES.find((route) => route.region === 'SICHUAN')!;

/** A platform that says "come back in N seconds" is taken at its word, without spending the job's attempts. */
describe('transfers refused with 429 Retry-After', () => {
  let stack: TestStack;
  let transfers: ReturnType<typeof transferQueue>;
  const now = new Date('2025-11-24T10:00:00+08:00');

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now });
    transfers = transferQueue(stack.redisUrl, stack.prefix);
  });

  afterAll(async () => {
    await transfers?.close();
    await stack?.close();
  });

  it('waits as long as the platform asked, then delivers once, with no attempt spent', async () => {
    const { receiveApplication: record } = await gql<{ receiveApplication: { businessNo: string } }>(stack, staffAt(ROUTE.windowId), RECEIVE, {
      input: application(ROUTE.item, ROUTE.windowId, '限流'),
    });
    stack.sichuan.setFaults({ rateLimitRate: 1, retryAfterSeconds: 2 });
    stack.sichuan.resetCounts();
    await scanMaterials(stack, record.businessNo);
    await stack.workflow.dispatchMaterials(record.businessNo, 'ONLINE', 'test');
    const jobId = `transfer-${record.businessNo}`;

    // The job's first call to the platform is its first scan's upload: refused, and the job waits as it was told.
    const uploads = () => stack.sichuan.requestCounts()['/gateway/file/upload'] ?? 0;
    const refusedAt = await until('first refusal', () => (uploads() >= 1 ? Date.now() : 0), 10_000, 10);
    const deferred = await until('job deferred', async () => ((await transfers.queue.getJobState(jobId)) === 'delayed' ? transfers.queue.getJob(jobId) : null), 5_000, 20);
    expect(deferred!.attemptsMade).toBe(0);
    // Without the deferral, the job's own backoff (attempts 1 s, 2 s, …) would have asked again within the 2 s.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(uploads()).toBe(1);
    expect(stack.sichuan.requestCounts()['/gateway/case/submit'] ?? 0).toBe(0);

    stack.sichuan.setFaults({});
    const forwarded = await until('forwarded', async () => (await stack.workflow.get(record.businessNo)).platformCaseId, 15_000);
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(1_900);
    const job = await transfers.queue.getJob(jobId);
    // BullMQ counts the successful attempt too: one attempt in all, the deferral spent none.
    expect([await job!.getState(), job!.attemptsMade]).toEqual(['completed', 1]);
    expect(stack.sichuan.cases().filter((c) => c.caseId === forwarded)).toHaveLength(1);
    expect(stack.sichuan.requestCounts()['/gateway/case/submit']).toBe(1);
    expect(uploads()).toBe(1 + ROUTE.item.materials.length);
  });
});
