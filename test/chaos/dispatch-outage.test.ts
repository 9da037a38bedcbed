import { Queue } from 'bullmq';
import { PARTITION_TAGS } from '../../ledger/cases/case-partitions.js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transferOutboxKey } from '../../queues/material-transfer.queue.js';
import { bullPrefix, QUEUES } from '../../queues/queues.js';
import { staffAt, startTestStack, type TestStack } from '../support/stack.js';
import { application, DISPATCH, OFFICE_HOURS, platformCaseCounts, ROUTES, sleep, startPrivateRedis, transferQueue, until, type PrivateRedis } from '../support/process.kit.js';
import { scanMaterials } from '../support/scans.kit.js';

/**
 * Redis is killed with SIGKILL while 100 window staff dispatch their cases at
 * once, and restarted from its AOF (fsync always). Some dispatches land and
 * lose their answer, some never land, some land with their job queued and some
 * without. Afterwards: every case that is dispatched has its transfer job (or
 * it is in the outbox the sweep drains), every caller's retry succeeds with the
 * dispatched case, and every case reaches its platform exactly once — without
 * the platform poll, the old safety net, ever running.
 */
const CASES = 100;
// Longer than the gateway's subgraph deadline: callers get SUBGRAPH.TIMEOUT for dispatches whose writes land when Redis is back.
const OUTAGE_MS = 3000;
const SUBGRAPH_TIMEOUT_MS = 1000;

describe('Redis killed during 100 concurrent dispatches', () => {
  let redis: PrivateRedis;
  let stack: TestStack;

  beforeAll(async () => {
    redis = await startPrivateRedis('always');
    stack = await startTestStack({ redisUrl: redis.url, now: () => OFFICE_HOURS, subgraphTimeoutMs: SUBGRAPH_TIMEOUT_MS, env: { MUTATIONS_PER_MINUTE: '1000000' } });
  });

  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  });

  it('leaves no dispatched case without its job, and every retry answers the dispatched case', async () => {
    const cases: { businessNo: string; windowId: string }[] = [];
    for (let i = 0; i < CASES; i++) {
      const route = ROUTES[i % ROUTES.length]!;
      const { record } = await stack.workflow.receiveApplication(application(route.item, route.windowId, `outage-${i}`), 'test');
      await scanMaterials(stack, record.businessNo);
      cases.push({ businessNo: record.businessNo, windowId: route.windowId });
    }

    let failedFirst = 0;
    let retries = 0;
    const startedAt = Date.now();
    const dispatch = async ({ businessNo, windowId }: { businessNo: string; windowId: string }) => {
      for (let attempt = 0; ; attempt++) {
        if (Date.now() - startedAt > 60_000) throw new Error(`${businessNo}: no successful dispatch within 60 s`);
        let answer: any;
        try {
          answer = await stack.as(staffAt(windowId)).query<any>(DISPATCH, { no: businessNo });
        } catch {
          answer = null;
        }
        if (answer && !answer.errors && answer.data?.dispatchMaterials?.stage) {
          firstLanded();
          return answer.data.dispatchMaterials.stage as string;
        }
        // A retry may only fail for the outage, never for a dispatch that landed.
        const codes = (answer?.errors ?? []).map((error: any) => error.extensions?.code);
        expect(codes, businessNo).not.toContain('CASE.INVALID_TRANSITION');
        if (attempt === 0) failedFirst += 1;
        else retries += 1;
        await sleep(100);
      }
    };

    // The kill follows the first dispatch that lands, not a fixed delay: the rest are then in flight
    // through gateway and subgraph however fast this machine is (a fixed 60 ms once fell before any reached the subgraph).
    let firstLanded!: () => void;
    const landed = new Promise<void>((resolve) => (firstLanded = resolve));
    const outage = (async () => {
      await landed;
      await redis.kill();
      await sleep(OUTAGE_MS);
      await redis.start();
    })();
    const stages = await Promise.all(cases.map(dispatch));
    await outage;
    const settledAt = Date.now() - startedAt;
    for (const stage of stages) expect(['IN_TRANSFER', 'AT_JURISDICTION']).toContain(stage);

    // Every dispatched case has its job, or its intent in the outbox for the sweep.
    const check = new Redis(redis.url, { maxRetriesPerRequest: null });
    const jobs = transferQueue(redis.url, stack.prefix);
    const sweepQueue = new Queue(QUEUES.alertSweep, { connection: check, prefix: bullPrefix(stack.prefix) });
    let inOutbox: number;
    try {
      const outbox = new Set((await Promise.all(PARTITION_TAGS.map((tag) => check.zrange(transferOutboxKey(bullPrefix(stack.prefix), tag), '0', '-1')))).flat());
      inOutbox = outbox.size;
      const withoutJob: string[] = [];
      for (const { businessNo } of cases) {
        const record = await stack.store.get(businessNo);
        expect(record?.transfer, businessNo).toBeTruthy();
        const job = await jobs.queue.getJob(`transfer-${businessNo}`);
        if (!job && !outbox.has(`${businessNo}|ONLINE`)) withoutJob.push(businessNo);
      }
      expect(withoutJob).toEqual([]);

      // One sweep, as the workers run it every ALERT_SWEEP_MS, queues whatever the outbox still holds.
      const { id } = await sweepQueue.add('sweep', {});
      await until('sweep run', async () => (await sweepQueue.getJobState(id!)) === 'completed', 30_000, 100);
      await until(
        'every case forwarded',
        async () => (await Promise.all(cases.map(({ businessNo }) => stack.store.get(businessNo)))).every((record) => record?.platformCaseId),
        60_000,
        200,
      );
      expect(await stack.queues.transfers.pending()).toBe(0);
    } finally {
      await sweepQueue.close();
      await jobs.close();
      check.disconnect();
    }

    const platformCases = platformCaseCounts(stack);
    for (const { businessNo } of cases) {
      expect(platformCases.get(businessNo), businessNo).toBe(1);
      const dispatched = (await stack.store.events(businessNo)).filter((event) => event.type === 'MATERIALS_DISPATCHED');
      expect(dispatched, businessNo).toHaveLength(1);
    }
    const figures = { cases: CASES, outageMs: OUTAGE_MS, failedFirstAttempt: failedFirst, furtherRetries: retries, allAnsweredAfterMs: settledAt, leftInOutbox: inOutbox };
    console.info('[chaos:dispatch-outage]', JSON.stringify(figures));
    expect(failedFirst).toBeGreaterThan(0);
  });
});
