import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CircuitState } from '../../adapters/circuit-breaker.js';
import { SichuanClient } from '../../adapters/sichuan/sichuan.client.js';
import { YukuaibanClient } from '../../adapters/yukuaiban/yukuaiban.client.js';
import { QUEUES } from '../../queues/queues.js';
import type { Caller } from '../../lib/auth/caller.js';
import { staffAt, startTestStack, type TestStack } from '../support/stack.js';
import { application, DISPATCH, gql, OFFICE_HOURS, platformCaseCounts, RECEIVE, ROUTES, rssMiB, sleep, transferQueue, until } from '../support/process.kit.js';
import { scanMaterials } from '../support/scans.kit.js';

/**
 * Both regional platforms misbehave the way DESIGN.md §6 lists — 5xx, hung
 * connections, garbage bodies, 429 with Retry-After — while forty dispatched
 * cases are forwarded by the real workers with the production retry policy
 * (queues/queues.ts). Nothing may vanish and nothing may reach a platform twice.
 */
const CASES_PER_REGION = 20;
const PLATFORM_TIMEOUT_MS = 500;
// The threshold is production's; the 30 s cool-down is cut to 2 s so that the
// breaker can open, probe and close within a test instead of within minutes.
const BREAKER = { failureThreshold: 5, resetAfterMs: 2000 };
const FLAKY = { errorRate: 0.3, timeoutRate: 0.1, malformedRate: 0.05, rateLimitRate: 0.05, retryAfterSeconds: 1 };
// Faults last through each job's first five attempts (0, 1, 3, 7 and 15 s after the first, by the
// production backoff); the platforms then recover, so the suite is not waiting on the 63 s and 127 s retries.
const FAULTS_FOR_MS = 20_000;
const OPS: Caller = { subject: 'ops-chaos', role: 'OPS', region: 'CHONGQING', windowId: null };
const REGIONS = ['SICHUAN', 'CHONGQING'] as const;
type Region = (typeof REGIONS)[number];
const BREAKERS = REGIONS.flatMap((region) => [`${region}:api`, `${region}:files`] as const);
type Breaker = (typeof BREAKERS)[number];

describe('platform faults during material transfer', () => {
  let stack: TestStack;
  let clients: { SICHUAN: SichuanClient; CHONGQING: YukuaibanClient };
  let jobs: ReturnType<typeof transferQueue>;
  let sampler: ReturnType<typeof setInterval> | undefined;

  beforeAll(async () => {
    stack = await startTestStack({
      now: () => OFFICE_HOURS,
      env: { PLATFORM_TIMEOUT_MS: String(PLATFORM_TIMEOUT_MS) },
      platforms: (config, urls) => {
        const { yukuaiban, sichuan, timeoutMs } = config.platforms;
        clients = {
          SICHUAN: new SichuanClient({ baseUrl: urls.SICHUAN, appId: sichuan.appId, appSecret: sichuan.appSecret, timeoutMs, circuitBreaker: BREAKER }),
          CHONGQING: new YukuaibanClient({ baseUrl: urls.CHONGQING, appKey: yukuaiban.appKey, appSecret: yukuaiban.appSecret, timeoutMs, circuitBreaker: BREAKER }),
        };
        return clients;
      },
    });
    jobs = transferQueue(stack.redisUrl, stack.prefix);
  });

  afterAll(async () => {
    clearInterval(sampler);
    await jobs?.close();
    await stack?.close();
  });

  it('forwards every dispatched case exactly once or dead-letters it, and the breakers open and close', async () => {
    const regionOf = new Map<string, Region>();
    for (const route of ROUTES) {
      for (let i = 0; i < CASES_PER_REGION; i++) {
        const { receiveApplication } = await gql(stack, staffAt(route.windowId), RECEIVE, {
          input: application(route.item, route.windowId, `chaos-${route.region}-${i}`),
        });
        expect(receiveApplication.case.stage).toBe('RECEIVED');
        await scanMaterials(stack, receiveApplication.businessNo);
        regionOf.set(receiveApplication.businessNo, route.region);
      }
    }
    const windowOf = (region: Region) => ROUTES.find((route) => route.region === region)!.windowId;

    const worker = stack.workers.workers.find((w) => w.name === QUEUES.materialTransfer)!;
    const failedAttempts: { businessNo: string; message: string }[] = [];
    worker.on('failed', (job, error) => failedAttempts.push({ businessNo: job?.data.businessNo, message: error.message }));

    // Sampled rather than hooked: the breakers are the production class, observed from outside.
    // Each client has two: one for its API calls, one for its file transfers.
    const transitions: Record<Breaker, CircuitState[]> = Object.fromEntries(BREAKERS.map((breaker) => [breaker, ['CLOSED']])) as Record<Breaker, CircuitState[]>;
    sampler = setInterval(() => {
      for (const region of REGIONS) {
        for (const [breaker, state] of [[`${region}:api`, clients[region].circuitState], [`${region}:files`, clients[region].fileCircuitState]] as const) {
          if (transitions[breaker].at(-1) !== state) transitions[breaker].push(state);
        }
      }
    }, 5);

    // A regional outage first, so that the breaker surely opens; then the platforms come back flaky.
    stack.sichuan.setFaults({ errorRate: 1 });
    stack.yukuaiban.setFaults({ errorRate: 1 });
    const started = Date.now();
    for (const [businessNo, region] of regionOf) {
      const { dispatchMaterials } = await gql(stack, staffAt(windowOf(region)), DISPATCH, { no: businessNo });
      expect(dispatchMaterials.stage).toBe('IN_TRANSFER');
    }
    // A transfer sends its scans before the case: the outage opens the file breakers, and cuts
    // the API calls off only once they fail on their own account (catalog reads here).
    await until('both file breakers open', () => REGIONS.every((region) => transitions[`${region}:files`].includes('OPEN')), 20_000, 10);
    for (const region of REGIONS) {
      expect(clients[region].circuitState, region).toBe('CLOSED');
      for (let read = 0; read < BREAKER.failureThreshold && clients[region].circuitState === 'CLOSED'; read++) {
        await expect(clients[region].searchItems({ offset: 0, limit: 1 })).rejects.toMatchObject({ code: `PLATFORM.${region}_UNAVAILABLE` });
      }
      expect(clients[region].circuitState, region).toBe('OPEN');
    }
    stack.sichuan.setFaults(FLAKY);
    stack.yukuaiban.setFaults(FLAKY);
    const recovered = sleep(started + FAULTS_FOR_MS - Date.now()).then(() => {
      stack.sichuan.setFaults({});
      stack.yukuaiban.setFaults({});
    });

    const total = regionOf.size;
    await until(
      'every transfer job completed or dead-lettered',
      async () => {
        const counts = await jobs.queue.getJobCounts('completed', 'failed');
        return counts.completed! + counts.failed! === total;
      },
      120_000,
      200,
    );
    const settledMs = Date.now() - started;
    clearInterval(sampler);
    await recovered;

    const completed = await jobs.queue.getJobs(['completed']);
    const deadLetters = await jobs.queue.getJobs(['failed']);
    const platformCases = platformCaseCounts(stack);

    // None vanished: each case is forwarded with exactly one platform case, or its job is a dead letter.
    const deadLettered = new Set(deadLetters.map((job) => job.data.businessNo as string));
    for (const businessNo of regionOf.keys()) {
      const record = await stack.workflow.get(businessNo);
      if (deadLettered.has(businessNo)) {
        expect(record.platformCaseId, businessNo).toBeNull();
        expect(record.stage, businessNo).toBe('IN_TRANSFER');
      } else {
        expect(record.platformCaseId, businessNo).toBeTruthy();
        expect(platformCases.get(businessNo), businessNo).toBe(1);
      }
    }
    expect(completed.length + deadLetters.length).toBe(total);
    // Nothing twice, dead letters included: a garbled answer to a submission that was taken is retried under its idempotency key.
    expect([...platformCases.values()].every((count) => count === 1)).toBe(true);
    expect([...platformCases.keys()].every((businessNo) => regionOf.has(businessNo))).toBe(true);

    for (const breaker of BREAKERS) {
      const seen = transitions[breaker];
      expect(seen, breaker).toContain('OPEN');
      expect(seen.slice(seen.lastIndexOf('OPEN')), breaker).toContain('CLOSED');
    }
    // An open breaker (and a 429) says when to come back: the job waits that long instead of spending an attempt.
    const circuitOpenFailures = failedAttempts.filter((attempt) => /熔断/.test(attempt.message)).length;
    expect(circuitOpenFailures).toBe(0);
    const deferrals = [...completed, ...deadLetters].reduce((sum, job) => sum + job.attemptsStarted - job.attemptsMade, 0);
    expect(deferrals).toBeGreaterThan(0);

    const attempts = new Map<string, number>();
    for (const { businessNo } of failedAttempts) attempts.set(businessNo, (attempts.get(businessNo) ?? 0) + 1);
    const perJob = [...regionOf.keys()].map((no) => (attempts.get(no) ?? 0) + (deadLettered.has(no) ? 0 : 1));

    // Ops replay the dead letters once the platforms are healthy; still one platform case each.
    const { replayDeadLetters } = await gql(stack, OPS, `mutation { replayDeadLetters(queue: "${QUEUES.materialTransfer}", limit: 1000) }`);
    expect(replayDeadLetters).toBe(deadLetters.length);
    await until(
      'every replayed transfer forwarded',
      async () => (await Promise.all([...regionOf.keys()].map((no) => stack.workflow.get(no)))).every((record) => record.platformCaseId),
      30_000,
      200,
    );
    const afterReplay = platformCaseCounts(stack);
    expect(afterReplay.size).toBe(total);
    expect([...afterReplay.values()].every((count) => count === 1)).toBe(true);

    console.info(
      '[chaos:platform-faults]',
      JSON.stringify({
        cases: total,
        platformTimeoutMs: PLATFORM_TIMEOUT_MS,
        breaker: BREAKER,
        faults: FLAKY,
        faultsForMs: FAULTS_FOR_MS,
        settledMs,
        completed: completed.length,
        deadLetters: deadLetters.length,
        replayed: replayDeadLetters,
        failedAttempts: perJob.reduce((a, b) => a + b, 0) - completed.length,
        circuitOpenFailures,
        deferrals,
        attemptsPerJob: { mean: +(perJob.reduce((a, b) => a + b, 0) / perJob.length).toFixed(2), max: Math.max(...perJob) },
        breakerTransitions: Object.fromEntries(BREAKERS.map((breaker) => [breaker, transitions[breaker].length - 1])),
        sandboxRequests: { sichuan: stack.sichuan.requestCounts(), yukuaiban: stack.yukuaiban.requestCounts() },
        rssMiB: rssMiB(),
      }),
    );
  });
});
