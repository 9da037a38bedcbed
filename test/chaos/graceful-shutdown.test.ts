import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffAt, startTestStack, type TestStack } from '../support/stack.js';
import { application, DISPATCH, gql, OFFICE_HOURS, RECEIVE, ROUTES, startGatewayProcess, startWorkerProcess, transferQueue, until, type ServiceProcess } from '../support/process.kit.js';
import { scanMaterials } from '../support/scans.kit.js';

/**
 * A deploy sends SIGTERM. The gateway process must finish the request it is
 * serving while refusing new connections, and the worker process must finish
 * the transfer it is running before it exits — so no job is left active for
 * the stalled-job check to find 30–90 s later.
 */
const ROUTE = ROUTES[0]!;
const PLATFORM_LATENCY_MS = 1500;
// An item's name costs two platform calls in a row (the cases subgraph checks the item, the Sichuan
// subgraph reads it), and lib/http-server.ts cuts every connection 2 s after close() began: the
// request in flight must need less than that after SIGTERM. RELIABILITY.md has the measurement.
const GATEWAY_PLATFORM_LATENCY_MS = 500;

/** Whether a fresh TCP connection to the port is accepted, as a new client would try. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('graceful shutdown on SIGTERM', () => {
  let stack: TestStack;
  let jobs: ReturnType<typeof transferQueue>;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ now: () => OFFICE_HOURS, workers: false });
    jobs = transferQueue(stack.redisUrl, stack.prefix);
  });

  afterAll(async () => {
    await Promise.all(processes.map((process) => process.stop('SIGKILL')));
    await jobs?.close();
    await stack?.close();
  });

  it('the gateway answers the request in flight, then refuses new connections and exits 0', async () => {
    const gateway = await startGatewayProcess(stack, {}, processes);
    const url = new URL(`${gateway.url}/graphql`);
    const port = gateway.port;

    // The owning platform answers slowly, so the item's name keeps the request open inside the gateway.
    stack.sichuan.setFaults({ latencyMs: GATEWAY_PLATFORM_LATENCY_MS });
    stack.sichuan.resetCounts();
    const token = await stack.token(staffAt(ROUTE.windowId));
    const inFlight = fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: `{ serviceItem(code: "${ROUTE.item.code}") { name } }` }),
    });
    await until('item lookup waiting on the platform', () => stack.sichuan.requestCounts()['/gateway/item/batchGet'] >= 1, 15_000, 10);

    const signalledAt = Date.now();
    gateway.child.kill('SIGTERM');
    await until('listener closed', async () => !(await accepts(port)), 2_000, 20);
    const refusedAfterMs = Date.now() - signalledAt;

    const response = await inFlight;
    const answeredAfterMs = Date.now() - signalledAt;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { serviceItem: { name: ROUTE.item.name } } });
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
    const exitedAfterMs = Date.now() - signalledAt;

    stack.sichuan.setFaults({});
    console.info('[chaos:graceful-shutdown:gateway]', JSON.stringify({ platformLatencyMs: GATEWAY_PLATFORM_LATENCY_MS, refusedAfterMs, answeredAfterMs, exitedAfterMs }));
  });

  it('the worker process finishes its transfer before it exits, leaving no job active', async () => {
    const worker = await startWorkerProcess(stack, {}, processes);

    const staff = staffAt(ROUTE.windowId);
    const { receiveApplication } = await gql(stack, staff, RECEIVE, { input: application(ROUTE.item, ROUTE.windowId, 'graceful-shutdown') });
    const businessNo: string = receiveApplication.businessNo;
    await scanMaterials(stack, businessNo);
    stack.sichuan.setFaults({ latencyMs: PLATFORM_LATENCY_MS });
    stack.sichuan.resetCounts();
    await gql(stack, staff, DISPATCH, { no: businessNo });
    await until('submission in flight', () => stack.sichuan.requestCounts()['/gateway/case/submit'] >= 1, 15_000, 10);

    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const exitedAfterMs = Date.now() - signalledAt;

    // Finished by the process that was told to stop, not recovered later by another.
    expect(await jobs.queue.getJobState(`transfer-${businessNo}`)).toBe('completed');
    expect((await jobs.queue.getJobCounts('active')).active).toBe(0);
    const record = await stack.workflow.get(businessNo);
    expect(stack.sichuan.cases().filter((c) => c.businessNo === businessNo).map((c) => c.caseId)).toEqual([record.platformCaseId]);
    expect(stack.sichuan.requestCounts()['/gateway/case/submit']).toBe(1);

    console.info('[chaos:graceful-shutdown:worker]', JSON.stringify({ platformLatencyMs: PLATFORM_LATENCY_MS, exitedAfterMs }));
  });
});
