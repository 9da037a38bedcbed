import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';
import { driveStaff, OFFICE_HOURS, platformCaseCounts, sleep, transferQueue, until } from '../support/process.kit.js';
import { startRedisCluster, type RedisClusterHarness } from '../support/redis-cluster.js';

/**
 * Window staff keep receiving and dispatching cases through the whole stack on
 * a Redis Cluster of its own while the master holding most keys is SIGKILLed
 * and its replica takes over. What a mutation acknowledged must still be there
 * afterwards, nothing may be applied twice, and every transfer must reach its
 * platform once. Requests during the failover may fail: they were not accepted.
 */
const DRIVERS = 3;
const PHASE_MS = 3000;
const WORKER_OPTIONS = { lockDuration: 10_000, stalledInterval: 5_000 };

describe('a Redis Cluster master killed mid-run', () => {
  let cluster: RedisClusterHarness;
  let stack: TestStack;

  beforeAll(async () => {
    // Its own cluster: the kill must not take a master from under the rest of the suite.
    cluster = await startRedisCluster();
    stack = await startTestStack({ redisUrl: cluster.url, now: () => OFFICE_HOURS, env: { MUTATIONS_PER_MINUTE: '1000000' }, workerOptions: WORKER_OPTIONS });
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await cluster?.stop();
  });

  it('keeps every acknowledged case and event and forwards each transfer once across the failover', async () => {
    // Every third case stays at the window; the others go on to their platform.
    const staff = driveStaff(stack, { drivers: DRIVERS, tag: 'failover', keepAtWindow: (i) => i % 3 === 2 });
    const { acknowledged, counts } = staff;
    await sleep(PHASE_MS);
    const victim = await cluster.busiestMaster();
    const killedAt = Date.now();
    const promoted = await cluster.killMaster(victim);
    const failoverMs = Date.now() - killedAt;
    const acknowledgedBeforeRecovery = acknowledged.length;
    await sleep(PHASE_MS);
    await staff.stop();
    // Cases kept flowing after the promotion, not only before the kill.
    expect(acknowledged.length).toBeGreaterThan(acknowledgedBeforeRecovery);

    const lost: string[] = [];
    const missingEvents: string[] = [];
    const appliedTwice: string[] = [];
    for (const ack of acknowledged) {
      const record = await stack.store.get(ack.businessNo);
      if (!record || record.handler !== ack.tag) {
        lost.push(ack.businessNo);
        continue;
      }
      const events = await stack.store.events(ack.businessNo);
      const types = events.map((event) => event.type);
      for (const type of ack.events) if (!types.includes(type)) missingEvents.push(`${ack.businessNo}:${type}`);
      // A scan is one event per material (attached) or per file (transferred); every other event happens once.
      const identities = events.map((event) => `${event.type}:${String(event.data.material ?? event.data.sha256 ?? '')}`);
      if (new Set(identities).size !== identities.length) appliedTwice.push(ack.businessNo);
    }

    // Every case that reached IN_TRANSFER, acknowledged or written just before its answer was lost, is forwarded once.
    const dispatched = (await stack.store.list({ stage: 'IN_TRANSFER' }, 0, 10_000)).cases.map((record) => record.businessNo);
    const jobs = transferQueue(cluster.url, stack.prefix);
    const settledAt = Date.now();
    // A dispatch whose own queueing failed in the failover is still in its outbox; the alert sweep drains
    // it every ALERT_SWEEP_MS in production, and the test stack runs no schedules, so the probe does.
    let queuedBySweep = 0;
    const unforwarded = async () => {
      queuedBySweep += await stack.queues.transfers.drainOutbox().catch(() => 0);
      const records = await Promise.all(dispatched.map((no) => stack.store.get(no)));
      return dispatched.filter((_, i) => !records[i]?.platformCaseId);
    };
    try {
      await until('every dispatched case forwarded', async () => (await unforwarded()).length === 0, 90_000, 250).catch(async (error: Error) => {
        // Where each missing transfer stands: no job at all, or one waiting, retrying or failed.
        const stuck = await Promise.all(
          (await unforwarded()).map(async (no) => {
            const job = await jobs.queue.getJob(`transfer-${no}`);
            return `${no}: ${job ? `${await job.getState()} after ${job.attemptsMade} attempts ${job.failedReason ?? ''}` : 'no job'}`;
          }),
        );
        throw new Error(`${error.message}; ${stuck.join('; ')}; outbox holds ${await stack.queues.transfers.pending()}`);
      });
    } finally {
      await jobs.close();
    }
    expect(await stack.queues.transfers.pending()).toBe(0);
    const platformCases = platformCaseCounts(stack);
    const submittedTwice = [...platformCases].filter(([, count]) => count > 1).map(([businessNo]) => businessNo);
    const orphans: string[] = [];
    for (const businessNo of platformCases.keys()) if (!(await stack.store.get(businessNo))) orphans.push(businessNo);

    const figures = {
      attempted: counts.attempted,
      acknowledged: acknowledged.length,
      acknowledgedDispatches: acknowledged.filter((ack) => ack.events.includes('MATERIALS_DISPATCHED')).length,
      refused: counts.refused,
      killed: victim.address,
      promoted: promoted.address,
      failoverMs,
      settleMs: Date.now() - settledAt,
      queuedBySweep,
      lost: lost.length,
      missingEvents: missingEvents.length,
      appliedTwice: appliedTwice.length,
      submittedTwice: submittedTwice.length,
      orphans: orphans.length,
    };
    console.info('[chaos:cluster-failover]', JSON.stringify(figures));
    expect(figures.acknowledgedDispatches).toBeGreaterThan(0);
    expect({ lost, missingEvents, appliedTwice, submittedTwice, orphans }).toEqual({ lost: [], missingEvents: [], appliedTwice: [], submittedTwice: [], orphans: [] });
    for (const businessNo of dispatched) expect(platformCases.get(businessNo), businessNo).toBe(1);
  }, 240_000);
});
