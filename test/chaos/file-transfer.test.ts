import { readdirSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CircuitState } from '../../adapters/circuit-breaker.js';
import type { Region } from '../../domain/region.js';
import { createPlatformClients } from '../../lib/platforms.js';
import { SICHUAN_FILE_ENDPOINTS } from '../../adapters/sichuan/sichuan-files.contract.js';
import { QUEUES } from '../../queues/queues.js';
import type { CaseRecord } from '../../ledger/cases/case.model.js';
import { onlineTransferDoneAt } from '../../ledger/workflow/scans.stage.js';
import { staffAt, startTestStack, type TestStack } from '../support/stack.js';
import { application, DISPATCH, FAST_STALL_RECOVERY, gql, OFFICE_HOURS, platformCaseCounts, RECEIVE, ROUTES, startWorkerProcess, transferQueue, until, type ServiceProcess } from '../support/process.kit.js';
import { scanMaterials, scannedPdf } from '../support/scans.kit.js';

/**
 * 线上流转 of scans under failure (#17): a worker process SIGKILLed while a scan of
 * several MB is on its way to the platform, and platforms that drop the connection
 * halfway through a file. Each file must reach the platform once, under its digest,
 * and the case be forwarded once, after its last file.
 */
const SICHUAN_ROUTE = ROUTES[0]!;
const UPLOAD = SICHUAN_FILE_ENDPOINTS.upload;
const YKB_UPLOAD = 'PUT /api/v1/files/{ywbh}/{sha256}';
/** Upload requests each sandbox has had since its counts were reset, dropped ones included. */
const uploadsAt = (stack: TestStack) => ({
  SICHUAN: (stack.sichuan.requestCounts() as Record<string, number>)[UPLOAD] ?? 0,
  CHONGQING: (stack.yukuaiban.requestCounts() as Record<string, number>)[YKB_UPLOAD] ?? 0,
});
const PLATFORM_LATENCY_MS = 1500;
const RECOVERY_TIMEOUT_MS = 30_000;
// Four pages of 1024² noise: about 4 MB a scan.
const bigScan = (label: string) => scannedPdf(label, { pages: 4 });

/** What the platforms hold of one case's scans, against what the case says it sent. */
function expectFilesOnceAtPlatform(held: { fileId: string; businessNo: string; sha256: string; size: number }[], record: CaseRecord) {
  const scans = record.scans ?? [];
  const files = held.filter((file) => file.businessNo === record.businessNo);
  const digests = [...new Set(scans.map((scan) => scan.sha256))].sort();
  expect(files.map((file) => file.sha256).sort()).toEqual(digests);
  for (const scan of scans) {
    const file = files.find((candidate) => candidate.sha256 === scan.sha256)!;
    expect(file.size).toBe(scan.size);
    expect(scan.platformFileId).toBe(file.fileId);
    expect(scan.acknowledgedAt).not.toBeNull();
  }
}

/** Files of the store a process holds open (Linux): a transfer must close each it opened, however the upload ended. */
function openFilesUnder(dir: string, pid: number | string = 'self'): string[] {
  const fds = `/proc/${pid}/fd`;
  return readdirSync(fds).flatMap((fd) => {
    try {
      const target = readlinkSync(`${fds}/${fd}`);
      return target.startsWith(dir) ? [target] : [];
    } catch {
      return [];
    }
  });
}

const transferredDigests = async (stack: TestStack, businessNo: string) =>
  (await stack.store.events(businessNo)).filter((event) => event.type === 'MATERIAL_SCAN_TRANSFERRED').map((event) => (event.data as { sha256: string }).sha256);

describe('a worker process killed while a scan is on its way', () => {
  let stack: TestStack;
  let jobs: ReturnType<typeof transferQueue>;
  const workers: ServiceProcess[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ now: () => OFFICE_HOURS, workers: false });
    jobs = transferQueue(stack.redisUrl, stack.prefix);
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop('SIGKILL')));
    await jobs?.close();
    await stack?.close();
  });

  it('sends each scan once and forwards the case once, after its last scan', async () => {
    const staff = staffAt(SICHUAN_ROUTE.windowId);
    const { receiveApplication } = await gql(stack, staff, RECEIVE, { input: application(SICHUAN_ROUTE.item, SICHUAN_ROUTE.windowId, 'file-crash') });
    const businessNo: string = receiveApplication.businessNo;
    await scanMaterials(stack, businessNo, bigScan);
    const scans = (await stack.workflow.get(businessNo)).scans!;
    expect(scans.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...scans.map((scan) => scan.size))).toBeGreaterThan(4_000_000);

    const first = await startWorkerProcess(stack, FAST_STALL_RECOVERY, workers);
    // The platform answers an upload only PLATFORM_LATENCY_MS after its last byte: time to kill the worker with a file in flight.
    stack.sichuan.setFaults({ latencyMs: PLATFORM_LATENCY_MS });
    stack.sichuan.resetCounts();
    await gql(stack, staff, DISPATCH, { no: businessNo });

    // The first scan acknowledged, the second sent and not yet answered.
    await until('second scan in flight', () => uploadsAt(stack).SICHUAN >= 2, 20_000, 5);
    const killedAt = Date.now();
    expect(await first.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await jobs.queue.getJobState(`transfer-${businessNo}`)).toBe('active');
    const atKill = await stack.workflow.get(businessNo);
    expect(atKill.scans!.filter((scan) => scan.platformFileId).length).toBe(1);
    expect(atKill.platformCaseId).toBeNull();
    expect(onlineTransferDoneAt(atKill)).toBeNull();
    expect(stack.sichuan.requestCounts()['/gateway/case/submit']).toBe(0);

    const second = await startWorkerProcess(stack, FAST_STALL_RECOVERY, workers);
    const platformCaseId = await until('case forwarded after the crash', async () => (await stack.workflow.get(businessNo)).platformCaseId, RECOVERY_TIMEOUT_MS + 20_000, 250);
    const recoveredMs = Date.now() - killedAt;
    await until('job completed', async () => (await jobs.queue.getJobState(`transfer-${businessNo}`)) === 'completed', 5_000);

    expect(stack.sichuan.cases().filter((c) => c.businessNo === businessNo).map((c) => c.caseId)).toEqual([platformCaseId]);
    const record = await stack.workflow.get(businessNo);
    expectFilesOnceAtPlatform(stack.sichuan.files(), record);
    const transferred = await transferredDigests(stack, businessNo);
    expect(transferred.sort()).toEqual([...new Set(scans.map((scan) => scan.sha256))].sort());
    const events = (await stack.store.events(businessNo)).map((event) => event.type);
    expect(events.filter((type) => type === 'FORWARDED_TO_PLATFORM')).toHaveLength(1);

    // The online transfer is done when the case is forwarded, and that came after the last file.
    const doneAt = onlineTransferDoneAt(record);
    expect(doneAt).toBe(record.transfer!.forwardedAt);
    const lastAck = Math.max(...record.scans!.map((scan) => Date.parse(scan.acknowledgedAt!)));
    expect(Date.parse(doneAt!)).toBeGreaterThanOrEqual(lastAck);
    const { case: view } = await gql(stack, staff, 'query ($no: ID!) { case(businessNo: $no) { deadlines { kind completedAt status } } }', { no: businessNo });
    const online = view.deadlines.find((deadline: { kind: string }) => deadline.kind === 'ONLINE_TRANSFER');
    expect(Date.parse(online.completedAt)).toBe(Date.parse(doneAt!));
    // The worker processes keep the real clock while the stack's stands at OFFICE_HOURS: met, on time or not.
    expect(['MET', 'MET_LATE']).toContain(online.status);

    expect(openFilesUnder(stack.filesDir, second.child.pid!)).toEqual([]);
    const uploads = uploadsAt(stack).SICHUAN;
    // The file in flight at the kill was sent again (and found held at the platform), no other.
    expect(uploads).toBe(scans.length + 1);
    console.info(
      '[chaos:file-transfer]',
      JSON.stringify({ case: 'worker-killed', scans: scans.length, scanBytes: scans.reduce((sum, scan) => sum + scan.size, 0), platformLatencyMs: PLATFORM_LATENCY_MS, recoveredMs, uploads }),
    );
  }, RECOVERY_TIMEOUT_MS + 90_000);
});

describe('platforms that drop the connection mid-file', () => {
  const CASES_PER_REGION = 3;
  const FAULTS = { dropMidFileRate: 0.5, latencyMs: 100 };
  // Production's clients and breaker: a run of drops opens it for 30 s, which the bound allows for twice.
  const FORWARD_WITHIN_MS = 120_000;
  let stack: TestStack;
  let jobs: ReturnType<typeof transferQueue>;
  let clients: Record<Region, { fileCircuitState: CircuitState }>;

  beforeAll(async () => {
    stack = await startTestStack({
      now: () => OFFICE_HOURS,
      platforms: (config, urls) => {
        const created = createPlatformClients(config, urls);
        // Both are the production classes, which show their breaker's state.
        clients = created as unknown as typeof clients;
        return created;
      },
    });
    jobs = transferQueue(stack.redisUrl, stack.prefix);
  });

  afterAll(async () => {
    await jobs?.close();
    await stack?.close();
  });

  it('forwards every case with each of its files once, and dead-letters none', async () => {
    const cases: { businessNo: string; windowId: string }[] = [];
    for (const route of ROUTES) {
      for (let i = 0; i < CASES_PER_REGION; i++) {
        const { receiveApplication } = await gql(stack, staffAt(route.windowId), RECEIVE, { input: application(route.item, route.windowId, `file-drop-${route.region}-${i}`) });
        // Half a megabyte a scan: large enough that a drop cuts a body well under way.
        await scanMaterials(stack, receiveApplication.businessNo, (label) => scannedPdf(label, { pages: 2, pageBytes: 512 * 512 }));
        cases.push({ businessNo: receiveApplication.businessNo, windowId: route.windowId });
      }
    }
    const worker = stack.workers.workers.find((w) => w.name === QUEUES.materialTransfer)!;
    let failedAttempts = 0;
    worker.on('failed', () => failedAttempts++);

    stack.sichuan.setFaults(FAULTS);
    stack.yukuaiban.setFaults(FAULTS);
    stack.sichuan.resetCounts();
    stack.yukuaiban.resetCounts();
    let breakerOpened = 0;
    const last: Record<Region, CircuitState | undefined> = { SICHUAN: 'CLOSED', CHONGQING: 'CLOSED' };
    const sampler = setInterval(() => {
      for (const region of ['SICHUAN', 'CHONGQING'] as const) {
        const state = clients[region].fileCircuitState;
        if (state === 'OPEN' && last[region] !== 'OPEN') breakerOpened++;
        last[region] = state;
      }
    }, 5);
    const started = Date.now();
    for (const { businessNo, windowId } of cases) await gql(stack, staffAt(windowId), DISPATCH, { no: businessNo });

    await until(
      'every case forwarded',
      async () => (await Promise.all(cases.map(async ({ businessNo }) => (await stack.workflow.get(businessNo)).platformCaseId))).every(Boolean),
      FORWARD_WITHIN_MS,
      200,
    );
    const forwardedMs = Date.now() - started;
    clearInterval(sampler);
    stack.sichuan.setFaults({});
    stack.yukuaiban.setFaults({});

    expect(await jobs.queue.getJobCounts('failed')).toEqual({ failed: 0 });
    const platformCases = platformCaseCounts(stack);
    const held = [...stack.sichuan.files(), ...stack.yukuaiban.files()];
    let files = 0;
    for (const { businessNo } of cases) {
      expect(platformCases.get(businessNo)).toBe(1);
      const record = await stack.workflow.get(businessNo);
      expectFilesOnceAtPlatform(held, record);
      const transferred = await transferredDigests(stack, businessNo);
      expect(new Set(transferred).size).toBe(transferred.length);
      files += transferred.length;
    }
    const { SICHUAN, CHONGQING } = uploadsAt(stack);
    const uploads = SICHUAN + CHONGQING;
    // Only drops fail an upload here, and an upload that is not dropped is acknowledged: the rest were dropped.
    const drops = uploads - files;
    expect(drops).toBeGreaterThan(0);
    expect(openFilesUnder(stack.filesDir)).toEqual([]);
    console.info('[chaos:file-transfer]', JSON.stringify({ case: 'dropped-mid-file', cases: cases.length, files, uploads, drops, failedAttempts, breakerOpened, forwardedMs, faults: FAULTS }));
  }, FORWARD_WITHIN_MS + 60_000);
});
