import { createHash, randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDefaultCalendar } from '../../domain/calendar/index.js';
import type { Caller } from '../../lib/auth/caller.js';
import { createQueueConnection } from '../../lib/redis.js';
import { plannedAlerts } from '../../ledger/alerts/case-alerts.js';
import { bullPrefix, QUEUES } from '../../queues/queues.js';
import { staffAt, startTestStack, type GraphQLResult, type TestStack } from '../support/stack.js';
import {
  application,
  FAST_STALL_RECOVERY,
  OFFICE_HOURS,
  platformCaseCounts,
  RECEIVE,
  ROUTES,
  sleep,
  startGatewayProcess,
  startWorkerProcess,
  transferQueue,
  until,
  type GatewayProcess,
  type ServiceProcess,
} from '../support/process.kit.js';
import { scanMaterials } from '../support/scans.kit.js';

/**
 * A fleet on one Redis: two gateway processes and two worker hosts, each its
 * own Node process configured as production configures it, over one stack's
 * subgraphs, sandboxes and key prefix. Whatever one replica keeps only in its
 * own memory shows here as an answer the other cannot give, a budget spent
 * twice, an alert raised twice, or a case lost when one replica is stopped.
 */
const ROUTE = ROUTES[0]!;
const calendar = getDefaultCalendar();
/** Each caller's mutations per minute on every replica (MUTATIONS_PER_MINUTE), small enough to spend in a test. */
const BUDGET = 20;

/** A gateway's answer; status 0 with `error` when the connection was refused or cut instead. */
type Answer = { status: number; body: GraphQLResult<any>; error?: string; ms: number };

describe('two gateway processes and two worker hosts on one Redis', () => {
  let stack: TestStack;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let workers: ServiceProcess[];
  const processes: ServiceProcess[] = [];
  const tokens = new Map<string, Promise<string>>();

  const tokenOf = (caller: Caller) => {
    let token = tokens.get(caller.subject);
    if (!token) tokens.set(caller.subject, (token = stack.token(caller)));
    return token;
  };

  /** One request as a front end sends it; a connection refused or cut is an answer too (status 0). */
  const post = async (gateway: GatewayProcess, caller: Caller, body: unknown): Promise<Answer> => {
    const started = performance.now();
    try {
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenOf(caller)}` },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as GraphQLResult<any>, ms: performance.now() - started };
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return { status: 0, body: {}, error: cause?.code ?? cause?.message ?? String(error), ms: performance.now() - started };
    }
  };

  const codesOf = (answer: Answer) => (answer.error ? [answer.error] : (answer.body.errors ?? []).map((error) => String(error.extensions?.code)));
  const receipt = (answer: Answer): string | undefined => (answer.status === 200 ? answer.body.data?.receiveApplication?.businessNo : undefined);
  const receive = (gateway: GatewayProcess, caller: Caller, tag: string, requestKey?: string) =>
    post(gateway, caller, { query: RECEIVE, variables: { input: { ...application(ROUTE.item, ROUTE.windowId, tag), requestKey } } });

  /** The worker host's own metrics, read from the listener its start-up line names. */
  const jobRuns = async (worker: ServiceProcess, queue: string) => {
    const line = JSON.parse(await worker.waitForLog(/workers running/, 1_000)) as { metrics: string };
    const text = await (await fetch(line.metrics)).text();
    const series = text.match(new RegExp(`^tongban_job_duration_seconds_count\\{queue="${queue.replace(/[{}]/g, '\\$&')}",outcome="completed"\\} (\\d+)`, 'm'));
    return Number(series?.[1] ?? 0);
  };

  /** A budget is counted per minute: a test that spends one starts early enough in a minute to finish inside it. */
  const freshMinute = async (needMs: number) => {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < needMs) await sleep(left + 50);
    return Math.floor(Date.now() / 60_000);
  };

  const caseCountsByHandler = async (prefix: string) => {
    const { cases } = await stack.store.list({}, 0, 100_000);
    const counts = new Map<string, number>();
    for (const record of cases) if (record.handler.startsWith(prefix)) counts.set(record.handler, (counts.get(record.handler) ?? 0) + 1);
    return counts;
  };

  beforeAll(async () => {
    stack = await startTestStack({ now: () => OFFICE_HOURS, workers: false });
    const gatewayEnv = { MUTATIONS_PER_MINUTE: String(BUDGET) };
    // The alert sweep runs every 100 ms, so sweeps of the two hosts overlap whenever one takes longer.
    const workerEnv = { ...FAST_STALL_RECOVERY, ALERT_SWEEP_MS: '100' };
    // Four Node processes compiling TypeScript at once on two cores take their time to start.
    [a, b, ...workers] = await Promise.all([
      startGatewayProcess(stack, gatewayEnv, processes),
      startGatewayProcess(stack, gatewayEnv, processes),
      startWorkerProcess(stack, workerEnv, processes, 90_000),
      startWorkerProcess(stack, workerEnv, processes, 90_000),
    ]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(processes.map((process) => process.stop('SIGKILL')));
    await stack?.close();
  });

  it('a query registered through one gateway process is answered by hash through the other', async () => {
    const caller = staffAt(ROUTE.windowId);
    const query = `query Replicas${randomUUID().replace(/-/g, '')} { windows(region: SICHUAN) { id name } }`;
    const persisted = (sha256Hash: string) => ({ persistedQuery: { version: 1, sha256Hash } });
    const hash = createHash('sha256').update(query).digest('hex');

    expect(codesOf(await post(b, caller, { extensions: persisted(hash) }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const registered = await post(a, caller, { query, extensions: persisted(hash) });
    expect(registered.status).toBe(200);
    expect(codesOf(registered)).toEqual([]);
    const byHash = await post(b, caller, { extensions: persisted(hash) });
    expect([byHash.status, byHash.body]).toEqual([200, registered.body]);

    // A document sent under another document's hash registers nothing, on either replica.
    const forged = createHash('sha256').update(`${query} `).digest('hex');
    expect(codesOf(await post(a, caller, { query, extensions: persisted(forged) }))).toEqual(['PERSISTED_QUERY_HASH_MISMATCH']);
    expect(codesOf(await post(b, caller, { extensions: persisted(forged) }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('fires every deadline alert exactly once while both worker hosts sweep', async () => {
    const connection = createQueueConnection(stack.redisUrl);
    const alertEvents = new QueueEvents(QUEUES.deadlineAlerts, { connection, prefix: bullPrefix(stack.prefix) });
    const sweepConnection = createQueueConnection(stack.redisUrl);
    const sweepEvents = new QueueEvents(QUEUES.alertSweep, { connection: sweepConnection, prefix: bullPrefix(stack.prefix) });
    const queueConnection = createQueueConnection(stack.redisUrl);
    const alertJobs = new Queue(QUEUES.deadlineAlerts, { connection: queueConnection, prefix: bullPrefix(stack.prefix) });
    try {
      await Promise.all([alertEvents.waitUntilReady(), sweepEvents.waitUntilReady()]);
      const outcomes = new Map<string, string[]>();
      alertEvents.on('completed', ({ jobId, returnvalue }) => outcomes.set(jobId, [...(outcomes.get(jobId) ?? []), String(returnvalue)]));
      const failed: string[] = [];
      alertEvents.on('failed', ({ jobId, failedReason }) => failed.push(`${jobId}: ${failedReason}`));
      // Event ids are Redis stream ids, whose first part is the time in ms: each sweep's run as an interval.
      const sweeps = new Map<string, { from: number; to?: number }>();
      sweepEvents.on('active', ({ jobId }, id) => sweeps.set(jobId, { from: Number(id.split('-')[0]) }));
      sweepEvents.on('completed', ({ jobId }, id) => {
        const sweep = sweeps.get(jobId);
        if (sweep) sweep.to = Number(id.split('-')[0]);
      });
      const runsBefore = await Promise.all(workers.map((worker) => jobRuns(worker, QUEUES.deadlineAlerts)));
      stack.notify.clearOutbox();
      stack.notify.resetCounts();

      // Received in 2025 by the stack's clock: by the worker hosts' clock (today) every plan's time has come, so
      // each case written joins a timetable the sweeps are already emptying.
      const tag = `告警-${randomUUID().slice(0, 8)}`;
      const plans = new Map<string, string>();
      const businessNos = new Set<string>();
      for (let i = 0; i < 150; i++) {
        const { record } = await stack.workflow.receiveApplication(application(ROUTE.item, ROUTE.windowId, `${tag}-${i}`), 'test');
        businessNos.add(record.businessNo);
        for (const plan of plannedAlerts(record, calendar)) {
          expect(Date.parse(plan.fireAt)).toBeLessThan(Date.now());
          plans.set(plan.id, plan.businessNo);
        }
      }
      const ours = () => stack.notify.outbox().filter((message) => businessNos.has(message.businessNo ?? ''));
      await until(
        'every alert raised and its message sent',
        async () => {
          const raised = await Promise.all([...plans.keys()].map((id) => stack.alerts.get(id)));
          return raised.every(Boolean) && ours().length >= plans.size;
        },
        90_000,
        200,
      );
      // Sweeps go on every 100 ms: long enough for a second firing of anything to show.
      await sleep(1_500);
      await until('alert jobs settled', async () => {
        const counts = await alertJobs.getJobCounts('waiting', 'active', 'delayed');
        return (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) === 0;
      }, 10_000);

      const raisedOnce = [...plans.keys()].filter((id) => (outcomes.get(id) ?? []).filter((outcome) => outcome === 'RAISED').length === 1);
      expect(failed).toEqual([]);
      expect(raisedOnce.length).toBe(plans.size);
      const stillPlanned = (await Promise.all([...businessNos].map((no) => stack.queues.alerts.scheduled(no)))).flat();
      expect(stillPlanned).toEqual([]);
      // One e-mail to the receiving window per alert, and the notification gateway asked no more often than that.
      const messages = ours();
      expect(messages.length).toBe(plans.size);
      expect(new Set(messages.map((message) => `${message.businessNo} ${message.template}`)).size).toBe(plans.size);
      expect(stack.notify.requestCounts()['POST /v1/messages']).toBe(stack.notify.outbox().length);
      // Both hosts did the work.
      const runsAfter = await Promise.all(workers.map((worker) => jobRuns(worker, QUEUES.deadlineAlerts)));
      const perHost = runsAfter.map((runs, index) => runs - runsBefore[index]!);
      expect(perHost.every((runs) => runs > 0)).toBe(true);

      const intervals = [...sweeps.values()].filter((sweep) => sweep.to !== undefined) as { from: number; to: number }[];
      const overlapping = intervals.filter((one, i) => intervals.some((other, j) => i !== j && other.from < one.to && one.from < other.to)).length;
      const runs = [...outcomes.entries()].filter(([id]) => plans.has(id)).reduce((sum, [, list]) => sum + list.length, 0);
      console.info('[chaos:replicas:alerts]', JSON.stringify({ cases: businessNos.size, alerts: plans.size, alertJobRuns: runs, alertJobsPerHost: perHost, sweeps: intervals.length, overlappingSweeps: overlapping }));
    } finally {
      await Promise.all([alertEvents.close(), sweepEvents.close(), alertJobs.close()]);
      connection.disconnect();
      sweepConnection.disconnect();
      queueConnection.disconnect();
    }
  }, 150_000);

  it("spends one caller's mutation budget across both gateways, and refuses the next on either with LIMIT.RATE", async () => {
    const tag = `预算-${randomUUID().slice(0, 8)}`;
    const caller = { ...staffAt(ROUTE.windowId), subject: `budget-${tag}` };
    const minute = await freshMinute(30_000);
    // Half through A and half through B, all at once: one counter, not one per replica.
    const spent = await Promise.all(Array.from({ length: BUDGET }, (_, i) => receive(i % 2 ? b : a, caller, `${tag}-${i}`)));
    expect(spent.map(codesOf)).toEqual(Array.from({ length: BUDGET }, () => []));
    const refused = [await receive(a, caller, `${tag}-refused-a`), await receive(b, caller, `${tag}-refused-b`)];
    expect(refused.map((answer) => [answer.status, codesOf(answer)])).toEqual([
      [429, ['LIMIT.RATE']],
      [429, ['LIMIT.RATE']],
    ]);
    // An operation with the mutation twice under aliases spends two and is refused whole.
    const twice = await post(b, caller, {
      query: 'mutation ($i: ReceiveApplicationInput!, $j: ReceiveApplicationInput!) { x: receiveApplication(input: $i) { businessNo } y: receiveApplication(input: $j) { businessNo } }',
      variables: { i: application(ROUTE.item, ROUTE.windowId, `${tag}-refused-x`), j: application(ROUTE.item, ROUTE.windowId, `${tag}-refused-y`) },
    });
    expect(codesOf(twice)).toEqual(['LIMIT.RATE']);
    expect(Math.floor(Date.now() / 60_000)).toBe(minute);

    const written = await caseCountsByHandler(tag);
    expect([written.size, [...written.values()].every((count) => count === 1), [...written.keys()].some((handler) => handler.includes('refused'))]).toEqual([BUDGET, true, false]);
    // Queries are not budgeted, and another caller of the same window has a budget of its own.
    expect(codesOf(await post(a, caller, { query: '{ windows(region: SICHUAN) { id } }' }))).toEqual([]);
    expect(codesOf(await receive(b, { ...caller, subject: `${caller.subject}-colleague` }, `${tag}-colleague`))).toEqual([]);
  }, 120_000);

  it('a load spread over both gateways: every accepted case once, read back through the other replica, budgets honoured', async () => {
    const tag = `负载-${randomUUID().slice(0, 8)}`;
    const callers = Array.from({ length: 15 }, (_, i) => ({ ...staffAt(ROUTE.windowId), subject: `load-${tag}-${i}` }));
    const greedy = { ...staffAt(ROUTE.windowId), subject: `load-${tag}-greedy` };
    // Each ordinary caller spends exactly its budget, whenever its minute ends; the greedy one asks for twice
    // its budget among the first requests, so that all of them fall in one minute.
    const ordinary = Array.from({ length: callers.length * BUDGET }, (_, i) => ({ caller: callers[i % callers.length]!, handler: `${tag}-${i}` }));
    const tasks = [
      ...Array.from({ length: 2 * BUDGET }, (_, i) => [{ caller: greedy, handler: `${tag}-greedy-${i}` }, ordinary[i]!]).flat(),
      ...ordinary.slice(2 * BUDGET),
    ];
    const latencies = { mutation: [] as number[], read: [] as number[] };
    const perGateway = new Map<string, number>();
    const unexpected: string[] = [];
    const accepted = new Map<string, string>();
    let greedyAccepted = 0;
    let greedyRefused = 0;
    const greedyMinutes = new Set([await freshMinute(20_000)]);
    let sent = 0;

    const started = performance.now();
    let next = 0;
    const runner = async () => {
      for (let i = next++; i < tasks.length; i = next++) {
        const { caller, handler } = tasks[i]!;
        const [writer, reader] = i % 2 ? [a, b] : [b, a];
        const answer = await receive(writer, caller, handler);
        sent++;
        perGateway.set(writer.url, (perGateway.get(writer.url) ?? 0) + 1);
        latencies.mutation.push(answer.ms);
        const no = receipt(answer);
        if (caller === greedy) greedyMinutes.add(Math.floor(Date.now() / 60_000));
        if (caller === greedy && codesOf(answer).join() === 'LIMIT.RATE') {
          greedyRefused++;
          continue;
        }
        if (!no) {
          unexpected.push(`${handler}: ${answer.status} ${codesOf(answer).join()}`);
          continue;
        }
        accepted.set(handler, no);
        if (caller === greedy) greedyAccepted++;
        // Written through one replica, read through the other at once.
        const read = await post(reader, caller, { query: 'query ($no: ID!) { case(businessNo: $no) { businessNo stage } }', variables: { no } });
        sent++;
        perGateway.set(reader.url, (perGateway.get(reader.url) ?? 0) + 1);
        latencies.read.push(read.ms);
        if (read.body.data?.case?.businessNo !== no) unexpected.push(`read ${no}: ${read.status} ${codesOf(read).join()}`);
      }
    };
    await Promise.all(Array.from({ length: 20 }, runner));
    const seconds = (performance.now() - started) / 1000;
    expect(greedyMinutes.size, "the greedy caller's requests fell in one budget minute").toBe(1);

    expect(unexpected).toEqual([]);
    expect([greedyAccepted, greedyRefused]).toEqual([BUDGET, BUDGET]);
    expect(accepted.size).toBe(callers.length * BUDGET + BUDGET);
    const written = await caseCountsByHandler(tag);
    expect(written.size).toBe(accepted.size);
    expect([...written.entries()].filter(([handler, count]) => count !== 1 || !accepted.has(handler))).toEqual([]);
    expect(new Set(accepted.values()).size).toBe(accepted.size);

    const quantile = (values: number[], q: number) => Math.round([...values].sort((x, y) => x - y)[Math.min(values.length - 1, Math.floor(q * values.length))]! * 10) / 10;
    console.info(
      '[chaos:replicas:load]',
      JSON.stringify({
        requests: sent,
        seconds: Math.round(seconds * 10) / 10,
        requestsPerSecond: Math.round(sent / seconds),
        concurrency: 20,
        perGateway: [...perGateway.values()],
        mutationMs: { p50: quantile(latencies.mutation, 0.5), p99: quantile(latencies.mutation, 0.99) },
        readMs: { p50: quantile(latencies.read, 0.5), p99: quantile(latencies.read, 0.99) },
        accepted: accepted.size,
        refusedOverBudget: greedyRefused,
      }),
    );
  }, 170_000);

  it('SIGTERM to one gateway and one worker host mid-load loses nothing and does nothing twice', async () => {
    const runId = randomUUID().slice(0, 8);
    const tag = `停机-${runId}`;
    const [dying, surviving] = workers as [ServiceProcess, ServiceProcess];
    const jobs = transferQueue(stack.redisUrl, stack.prefix);
    try {
      // Transfers in flight on both hosts: every platform call takes 500 ms, a transfer several of them.
      const transfers: string[] = [];
      for (let i = 0; i < 24; i++) {
        const { record } = await stack.workflow.receiveApplication(application(ROUTE.item, ROUTE.windowId, `${tag}-transfer-${i}`), 'test');
        await scanMaterials(stack, record.businessNo);
        transfers.push(record.businessNo);
      }
      stack.sichuan.setFaults({ latencyMs: 500 });
      stack.sichuan.resetCounts();
      const dispatcher = (i: number) => ({ ...staffAt(ROUTE.windowId), subject: `dispatch-${tag}-${i % 4}` });
      const dispatched = await Promise.all(
        transfers.map((no, i) => post(i % 2 ? a : b, dispatcher(i), { query: 'mutation ($no: ID!) { dispatchMaterials(businessNo: $no, channel: ONLINE) { stage } }', variables: { no } })),
      );
      expect(dispatched.map(codesOf)).toEqual(transfers.map(() => []));
      const tookTransfers = async (worker: ServiceProcess) => {
        const line = JSON.parse(await worker.waitForLog(/workers running/, 1_000)) as { metrics: string };
        return (await (await fetch(line.metrics)).text()).includes('tongban_worker_last_job_timestamp_seconds{queue="{material-transfer}"}');
      };
      await until('both hosts running transfers', async () => (await tookTransfers(dying)) && (await tookTransfers(surviving)), 30_000, 50);

      // Receipts streaming through both gateways, each under a request key so that a resend is the same receipt.
      const receipts = Array.from({ length: 120 }, (_, i) => ({ handler: `${tag}-receipt-${i}`, requestKey: `shutdown-${runId}-${i}`, caller: { ...staffAt(ROUTE.windowId), subject: `receipt-${tag}-${i % 8}` } }));
      const accepted = new Map<string, string>();
      const unexpected: string[] = [];
      const byA = { answered: 0, answeredAfterSignal: 0, refused: 0, cut: [] as string[] };
      let signalledAt: number | undefined;
      let next = 0;
      const runner = async () => {
        for (let i = next++; i < receipts.length; i = next++) {
          const { handler, requestKey, caller } = receipts[i]!;
          let answer = await receive(i % 2 ? a : b, caller, handler, requestKey);
          if (i % 2) {
            if (answer.error === 'ECONNREFUSED') byA.refused++;
            else if (answer.error) byA.cut.push(answer.error);
            else {
              byA.answered++;
              if (signalledAt !== undefined) byA.answeredAfterSignal++;
            }
            // A front end sends a refused or cut request again to another replica, under the same key.
            if (answer.error) answer = await receive(b, caller, handler, requestKey);
          }
          const no = receipt(answer);
          if (no) accepted.set(handler, no);
          else unexpected.push(`${handler}: ${answer.status} ${codesOf(answer).join()}`);
          if (i === 40) {
            signalledAt = Date.now();
            a.child.kill('SIGTERM');
            dying.child.kill('SIGTERM');
          }
        }
      };
      await Promise.all(Array.from({ length: 20 }, runner));
      const [gatewayExit, workerExit] = await Promise.all([a.exited, dying.exited]);
      const exitedAfterMs = Date.now() - signalledAt!;
      expect([gatewayExit, workerExit]).toEqual([
        { code: 0, signal: null },
        { code: 0, signal: null },
      ]);

      expect(unexpected).toEqual([]);
      expect(accepted.size).toBe(receipts.length);
      const written = await caseCountsByHandler(`${tag}-receipt-`);
      expect([written.size, [...written.values()].every((count) => count === 1)]).toEqual([receipts.length, true]);

      // Every transfer done once: the stopped host finished what it had taken, the other took the rest.
      await until('every transfer forwarded', async () => (await stack.store.getMany(transfers)).every((record) => record?.platformCaseId), 60_000, 100);
      const counts = platformCaseCounts(stack);
      expect(transfers.map((no) => counts.get(no))).toEqual(transfers.map(() => 1));
      expect(stack.sichuan.requestCounts()['/gateway/case/submit']).toBe(transfers.length);
      expect(await Promise.all(transfers.map((no) => jobs.queue.getJobState(`transfer-${no}`)))).toEqual(transfers.map(() => 'completed'));
      const forwarded = await Promise.all(transfers.map(async (no) => (await stack.store.events(no)).filter((event) => event.type === 'FORWARDED_TO_PLATFORM').length));
      expect(forwarded).toEqual(transfers.map(() => 1));
      expect(await surviving.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      console.info('[chaos:replicas:shutdown]', JSON.stringify({ receipts: receipts.length, transfers: transfers.length, gatewayA: byA, exitedAfterMs }));
    } finally {
      stack.sichuan.setFaults({});
      await jobs.close();
    }
  }, 170_000);
});
