import { randomBytes } from 'node:crypto';
import { MIME_TYPES } from '../../lib/files/file-check.js';
import { createFileStore } from '../../lib/files/store-factory.js';
import type { CaseRecord } from '../../ledger/cases/case.model.js';
import { attachScan, scannedPdf } from '../../test/support/scans.kit.js';
import { loadAverage } from '../machine.info.js';
import type { Scenario } from '../scenario.types.js';
import { openCaseStack, type CaseStack } from './case-stack.fixture.js';
import { CONCURRENCY, FILES_PER_CASE, NOISE_BYTES, report, SAMPLE_MS, type Memory, type PathFigures } from './file-transfer.report.js';
import { timedTransfers } from './material-transfer.scenario.js';

/** The memory pass: so many jobs at once that 200 MiB of scans are on the wire together (100 × 2 MiB). */
const MEMORY_CONCURRENCY = 100;
const PREPARE_CONCURRENCY = 4;
const ACTOR = 'WINDOW_STAFF:bench';

/**
 * Scans through the material-transfer job against the same bytes copied
 * straight to the same sandbox: cases of 5 scans of 2 MiB each (valid PDFs
 * whose bulk is incompressible noise, each case's own digests), dispatched
 * ONLINE and forwarded by the real processor in a real BullMQ worker to the
 * 渝快办 sandbox in its own process; then the same files, from the same file
 * store, through the same client's `uploadFile` at the same concurrency, no
 * queue or ledger. The worker runs in this process, whose RSS is sampled
 * every 100 ms while each path runs: streaming means it stays flat however
 * many bytes pass.
 */
export const fileTransferScenario: Scenario = {
  id: 'file-transfer',
  async run(settings) {
    const cases = settings.quick ? 16 : 60;
    const memoryCases = settings.quick ? 25 : MEMORY_CONCURRENCY;
    const loadBefore = loadAverage();
    const stack = await openCaseStack();
    const problems: string[] = [];
    let tongban: PathFigures | undefined;
    let raw: PathFigures | undefined;
    let crowd: PathFigures | undefined;
    try {
      console.error(`file-transfer: preparing ${cases} cases of ${FILES_PER_CASE} scans`);
      const noise = randomBytes(NOISE_BYTES);
      const businessNos = await prepareCases(stack, noise, cases);
      // The raw path once over a few cases first: connections, JIT and the store's first reads count for neither path.
      await rawCopy(stack, businessNos.slice(0, CONCURRENCY), 'WARM');
      console.error('file-transfer: tongban');
      tongban = await tongbanRun(stack, businessNos, CONCURRENCY);
      console.error('file-transfer: raw');
      raw = await sampled(() => rawCopy(stack, businessNos, 'RAW'));
      console.error(`file-transfer: preparing ${memoryCases} cases for the memory pass`);
      const crowdNos = await prepareCases(stack, noise, memoryCases);
      console.error(`file-transfer: memory pass, ${memoryCases} jobs at once`);
      crowd = await tongbanRun(stack, crowdNos, memoryCases);
      const uploads = (businessNos.length * 2 + Math.min(CONCURRENCY, businessNos.length) + crowdNos.length) * FILES_PER_CASE;
      problems.push(...(await verify(stack, [...businessNos, ...crowdNos], tongban.files + crowd.files, uploads)));
    } catch (error) {
      problems.push(`file-transfer: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await stack.close();
    }
    return report(settings, { cases, memoryCases }, { tongban, raw, crowd }, { start: loadBefore, end: loadAverage() }, problems);
  },
};

/** Cases whose items ask for at most 5 materials (each must have a scan before an ONLINE dispatch), each given 5 scans over its materials, then dispatched. */
async function prepareCases(stack: CaseStack, noise: Buffer, count: number): Promise<string[]> {
  const received = await stack.store.getMany(await stack.receive(count * 2, { concurrency: PREPARE_CONCURRENCY }));
  const fitting = received.filter((record): record is CaseRecord => !!record && qualified(record).length <= FILES_PER_CASE).slice(0, count);
  if (fitting.length < count) throw new Error(`only ${fitting.length} of ${count * 2} received cases ask for at most ${FILES_PER_CASE} materials`);
  let next = 0;
  const lane = async () => {
    for (let index = next++; index < count; index = next++) {
      const record = fitting[index]!;
      const materials = qualified(record);
      for (let file = 0; file < FILES_PER_CASE; file++) {
        await attachScan(stack, record.businessNo, materials[file % materials.length]!, await scannedPdf(`${record.businessNo} ${file}`, { pageBytes: NOISE_BYTES, noise }));
      }
      await stack.workflow.dispatchMaterials(record.businessNo, 'ONLINE', ACTOR);
    }
  };
  await Promise.all(Array.from({ length: PREPARE_CONCURRENCY }, lane));
  return fitting.map((record) => record.businessNo);
}

const qualified = (record: CaseRecord) => record.materials.filter((material) => material.verdict === 'QUALIFIED').map((material) => material.name);

async function tongbanRun(stack: CaseStack, businessNos: string[], concurrency: number): Promise<PathFigures> {
  const measured = await sampled(async () => {
    const run = await timedTransfers(stack, businessNos.length, concurrency);
    return { ms: run.ms, bytes: 0, files: 0 };
  });
  const acknowledged = (await stack.store.getMany(businessNos)).flatMap((record) => (record?.scans ?? []).filter((scan) => scan.platformFileId));
  return { ...measured, files: acknowledged.length, bytes: acknowledged.reduce((sum, scan) => sum + scan.size, 0) };
}

/** Every scan of the cases, `CONCURRENCY` cases at a time and a case's scans one after another, as the processor sends them; under business numbers of their own, so that nothing is already held. */
async function rawCopy(stack: CaseStack, businessNos: string[], tag: string): Promise<{ ms: number; bytes: number; files: number }> {
  const records = (await stack.store.getMany(businessNos)).filter((record): record is CaseRecord => !!record);
  const files = createFileStore(stack.config.files.store);
  const platform = stack.platforms.CHONGQING;
  let bytes = 0;
  let sent = 0;
  let next = 0;
  const lane = async () => {
    for (let index = next++; index < records.length; index = next++) {
      const record = records[index]!;
      for (const scan of record.scans ?? []) {
        const receipt = await platform.uploadFile({
          businessNo: `${record.businessNo}-${tag}`,
          material: scan.material,
          sha256: scan.sha256,
          size: scan.size,
          contentType: MIME_TYPES[scan.type],
          open: () => files.get(scan.sha256),
        });
        bytes += receipt.size;
        sent += 1;
      }
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return { ms: performance.now() - began, bytes, files: sent };
}

/** Runs `work` with this process's RSS sampled every 100 ms from just before to just after. */
async function sampled<T extends { ms: number; bytes: number; files: number }>(work: () => Promise<T>): Promise<T & { memory: Memory }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  let samples = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
    samples += 1;
  }, SAMPLE_MS);
  try {
    const result = await work();
    const after = process.memoryUsage.rss();
    return { ...result, memory: { before, peak: Math.max(peak, after), after, samples } };
  } finally {
    clearInterval(timer);
  }
}

/** Every case forwarded with all its scans acknowledged, each file sent once per path (no retries). */
async function verify(stack: CaseStack, businessNos: string[], acknowledged: number, sent: number): Promise<string[]> {
  const problems: string[] = [];
  const records = await stack.store.getMany(businessNos);
  const unforwarded = records.filter((record) => !record?.transfer?.forwardedAt || (record.scans ?? []).some((scan) => !scan.acknowledgedAt));
  if (unforwarded.length) problems.push(`file-transfer: ${unforwarded.length} case(s) not forwarded with every scan acknowledged`);
  const expected = businessNos.length * FILES_PER_CASE;
  if (acknowledged !== expected) problems.push(`file-transfer: ${acknowledged} scans acknowledged, ${expected} sent`);
  const puts = (await stack.sandboxes.request<Record<string, number>>('yukuaibanRequests'))['PUT /api/v1/files/{ywbh}/{sha256}'] ?? 0;
  if (puts !== sent) problems.push(`file-transfer: ${puts} file uploads reached the sandbox for ${sent} files sent (retries or losses)`);
  return problems;
}
