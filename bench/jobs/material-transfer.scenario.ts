import { Agent, request } from 'node:http';
import { Queue, Worker, type Job } from 'bullmq';
import type { PlatformFileUpload, SubmitCaseRequest } from '../../adapters/platform.port.js';
import { MIME_TYPES } from '../../lib/files/file-check.js';
import { materialTransferProcessor, submitCaseRequest } from '../../jobs/material-transfer.processor.js';
import { DEFAULT_JOB_OPTIONS, QUEUES } from '../../queues/queues.js';
import { startWorkers, type Processor } from '../../jobs/worker-host.js';
import { createLogger } from '../../lib/logger.js';
import { createRegistry, JobMetrics } from '../../lib/metrics.js';
import type { BenchSettings, Scenario } from '../scenario.types.js';
import { openCaseStack, type CaseStack } from './case-stack.fixture.js';
import { cpuSeconds, median, perJob, seconds, whole } from '../figures.format.js';
import { rotate } from '../measurement.kit.js';
import { scanMaterials } from '../../test/support/scans.kit.js';
import { createFileStore } from '../../lib/files/store-factory.js';

/** The worker host's default, which jobs/main.ts runs with. */
const CONCURRENCY = 8;
/** Issue "Performance, round 3", item 3: of the floor's throughput, in the same run. */
const GOAL_RATIO = 0.8;
const WARM_UP_JOBS = 100;
/** Receiving and dispatching the cases is preparation, not measured: as fast as the stack allows. */
const PREPARE_CONCURRENCY = 16;
const NOOP_QUEUE = '{bench-noop}';
const FLOOR_QUEUE = '{bench-floor}';
const BARE_QUEUE = '{bench-bare}';
const ACTOR = 'WINDOW_STAFF:bench';
const logger = createLogger({ level: 'silent', service: 'bench' });

type Path = 'raw' | 'bare' | 'floor' | 'tongban';
const PATHS: readonly Path[] = ['tongban', 'raw', 'bare', 'floor'];

interface Run {
  path: Path;
  jobs: number;
  ms: number;
  workerCpu: number;
  redisCpu: number;
  sandboxCpu: number;
}

/**
 * Material transfers through the real worker host and processor (workflow over
 * Redis, signed 渝快办 client, sandbox in its own process) against BullMQ alone
 * running no-op jobs of the same shape, options and concurrency on the same
 * Redis: how much of the queue's own throughput the transfer keeps; and against
 * BullMQ with the platform call alone, to tell tongban's own cost from the
 * call's, and BullMQ with one bare HTTP exchange, the least such a call costs.
 * Each round queues all its jobs first, then starts the worker and times it
 * from the first job taken to the last completed.
 */
export const materialTransferScenario: Scenario = {
  id: 'material-transfer',
  async run(settings) {
    const jobs = settings.quick ? 400 : 2000;
    const stack = await openCaseStack();
    const runs: Run[] = [];
    const problems: string[] = [];
    let submitted = 0;
    try {
      const template = submitCaseRequest((await stack.store.get((await stack.receive(1))[0]!))!);
      // Round 0 warms up every path (connections, scripts, JIT) and is not reported.
      for (let round = 0; round <= settings.rounds; round++) {
        const size = round === 0 ? WARM_UP_JOBS : jobs;
        for (const path of rotate(PATHS, round)) {
          console.error(`material-transfer: ${round === 0 ? 'warm-up' : `round ${round}/${settings.rounds}`}, ${path}, ${size} jobs`);
          let run: Run;
          if (path === 'raw') {
            run = await rawRound(stack, round, size);
          } else if (path === 'bare') {
            run = await bareRound(stack, template, round, size);
          } else {
            const measured = path === 'floor' ? await floorRound(stack, round, size) : await tongbanRound(stack, size);
            run = measured.run;
            submitted += size;
            problems.push(...(await verifySubmitted(stack, measured.businessNos, submitted, path === 'tongban')));
          }
          if (round > 0) runs.push(run);
        }
      }
    } catch (error) {
      problems.push(`material-transfer: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await stack.close();
    }
    return report(settings, jobs, runs, problems);
  },
};

function rawRound(stack: CaseStack, round: number, jobs: number): Promise<Run> {
  const businessNos = Array.from({ length: jobs }, (_, index) => `NOOP-${round}-${index}`);
  return plainWorkerRound(stack, 'raw', NOOP_QUEUE, businessNos, async () => undefined);
}

/**
 * BullMQ and one HTTP exchange per job, as bare as Node makes it: a kept-alive
 * node:http POST of an intake-sized JSON body to a server that answers at once,
 * discarding it. No signature, no validation, no platform: what any
 * processor that makes one call per job pays on this machine at the least.
 */
async function bareRound(stack: CaseStack, template: SubmitCaseRequest, round: number, jobs: number): Promise<Run> {
  const url = new URL(await stack.sandboxes.request<string>('startBare'));
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const post = (businessNo: string) => {
    const body = JSON.stringify({ ...template, idempotencyKey: businessNo, businessNo });
    return new Promise<void>((resolve, reject) => {
      const exchange = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (answer) => {
        answer.resume();
        answer.once('end', resolve);
        answer.once('error', reject);
      });
      exchange.once('error', reject);
      exchange.end(body);
    });
  };
  try {
    const businessNos = Array.from({ length: jobs }, (_, index) => `BARE-${round}-${index}`);
    return await plainWorkerRound(stack, 'bare', BARE_QUEUE, businessNos, (job) => post(job.data.businessNo));
  } finally {
    agent.destroy();
  }
}

/**
 * BullMQ and the platform calls alone: for cases received and scanned the same
 * way (never dispatched, so no transfer of theirs is queued), each scan sent
 * from the same file store through the same signed 渝快办 client, then the case
 * naming the platform's file ids — the same calls a transfer makes, with its
 * requests built before the clock starts and no case read, no case write, no
 * alert planning. What tongban's own work per job costs is the gap between this
 * and tongban.
 */
async function floorRound(stack: CaseStack, round: number, jobs: number): Promise<{ run: Run; businessNos: string[] }> {
  const businessNos = await stack.receive(jobs, { concurrency: PREPARE_CONCURRENCY });
  let next = 0;
  await Promise.all(
    Array.from({ length: PREPARE_CONCURRENCY }, async () => {
      for (let index = next++; index < jobs; index = next++) await scanMaterials(stack, businessNos[index]!);
    }),
  );
  const files = createFileStore(stack.config.files.store);
  const requests = new Map<string, { uploads: PlatformFileUpload[]; submit: (fileIds: ReadonlyMap<string, string>) => SubmitCaseRequest }>();
  for (const record of await stack.store.getMany(businessNos)) {
    const scans = record!.scans ?? [];
    requests.set(record!.businessNo, {
      uploads: scans.map((scan) => ({
        businessNo: record!.businessNo,
        material: scan.material,
        sha256: scan.sha256,
        size: scan.size,
        contentType: MIME_TYPES[scan.type],
        open: () => files.get(scan.sha256),
      })),
      submit: (fileIds) => submitCaseRequest({ ...record!, scans: scans.map((scan) => ({ ...scan, platformFileId: fileIds.get(scan.sha256)! })) }),
    });
  }
  const platform = stack.platforms.CHONGQING;
  const run = await plainWorkerRound(stack, 'floor', FLOOR_QUEUE, businessNos, async (job) => {
    const { uploads, submit } = requests.get(job.data.businessNo)!;
    const fileIds = new Map<string, string>();
    for (const upload of uploads) fileIds.set(upload.sha256, (await platform.uploadFile(upload)).fileId);
    return (await platform.submitCase(submit(fileIds))).platformCaseId;
  });
  return { run, businessNos };
}

/** One round of a path that is BullMQ and a processor alone: its jobs queued first, then one worker timed over them. */
async function plainWorkerRound(stack: CaseStack, path: Path, queueName: string, businessNos: readonly string[], processor: (job: Job) => Promise<unknown>): Promise<Run> {
  const queue = new Queue(queueName, { connection: stack.connection, prefix: stack.bullPrefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  try {
    await addTransferJobs(queue, businessNos);
    return await timed(stack, path, businessNos.length, () => {
      const worker = new Worker(queueName, processor, { connection: stack.connection, prefix: stack.bullPrefix, concurrency: CONCURRENCY });
      return { workers: [worker], close: () => worker.close() };
    });
  } finally {
    await queue.close();
  }
}

async function tongbanRound(stack: CaseStack, jobs: number): Promise<{ run: Run; businessNos: string[] }> {
  const businessNos = await stack.receive(jobs, { concurrency: PREPARE_CONCURRENCY });
  let next = 0;
  const dispatch = async () => {
    for (let index = next++; index < jobs; index = next++) {
      await scanMaterials(stack, businessNos[index]!);
      await stack.workflow.dispatchMaterials(businessNos[index]!, 'ONLINE', ACTOR);
    }
  };
  await Promise.all(Array.from({ length: PREPARE_CONCURRENCY }, dispatch));
  const run = await timedTransfers(stack, jobs, CONCURRENCY);
  return { run, businessNos };
}

/** The real material-transfer processor in the real worker host, timed over `jobs` transfers already queued. */
export function timedTransfers(stack: CaseStack, jobs: number, concurrency: number): Promise<Run> {
  const processor = materialTransferProcessor({
    workflow: stack.workflow,
    platforms: stack.platforms,
    courier: stack.courier,
    shipments: stack.shipments,
    directory: stack.directory,
    files: createFileStore(stack.config.files.store),
  });
  return timed(stack, 'tongban', jobs, () =>
    startWorkers({
      connection: stack.connection,
      prefix: stack.bullPrefix,
      processors: { [QUEUES.materialTransfer]: processor as Processor },
      logger,
      concurrency,
      metrics: new JobMetrics(createRegistry()),
    }),
  );
}

/** Transfer jobs of the shape the workflow queues, a thousand per call. */
async function addTransferJobs(queue: Queue, businessNos: readonly string[]): Promise<void> {
  for (let start = 0; start < businessNos.length; start += 1000) {
    await queue.addBulk(
      businessNos.slice(start, start + 1000).map((businessNo) => ({ name: 'transfer', data: { businessNo, channel: 'ONLINE' }, opts: { jobId: `transfer-${businessNo}` } })),
    );
  }
}

/** Starts the workers and waits for `jobs` completions; any failed attempt is an error, since nothing here is faulty. */
async function timed(
  stack: CaseStack,
  path: Path,
  jobs: number,
  start: () => { workers: Worker[]; close(): Promise<void> },
): Promise<Run> {
  const sandboxBefore = await stack.sandboxes.request<NodeJS.CpuUsage>('cpuUsage');
  const redisBefore = await stack.redisCpuSeconds();
  let cpuBefore = process.cpuUsage();
  let workerCpu = 0;
  let began = performance.now();
  const host = start();
  let ended = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let completed = 0;
      let active = false;
      const timer = setTimeout(() => reject(new Error(`${path}: ${completed} of ${jobs} jobs completed within ${seconds(timeoutMs(jobs))}`)), timeoutMs(jobs));
      for (const worker of host.workers) {
        // From the first job taken, so that connecting and loading scripts count for neither path.
        worker.on('active', () => {
          if (active) return;
          active = true;
          began = performance.now();
          cpuBefore = process.cpuUsage();
        });
        worker.on('completed', () => {
          if (++completed < jobs) return;
          ended = performance.now();
          workerCpu = cpuSeconds(process.cpuUsage(cpuBefore));
          clearTimeout(timer);
          resolve();
        });
        worker.on('failed', (job, error) => {
          clearTimeout(timer);
          reject(new Error(`${path}: job ${job?.id} failed: ${error.message}`));
        });
      }
    });
  } finally {
    await host.close();
  }
  const redisCpu = (await stack.redisCpuSeconds()) - redisBefore;
  const sandboxCpu = cpuSeconds(subtract(await stack.sandboxes.request<NodeJS.CpuUsage>('cpuUsage'), sandboxBefore));
  return { path, jobs, ms: ended - began, workerCpu, redisCpu, sandboxCpu };
}

const timeoutMs = (jobs: number) => Math.max(60_000, jobs * 50);

function subtract(after: NodeJS.CpuUsage, before: NodeJS.CpuUsage): NodeJS.CpuUsage {
  return { user: after.user - before.user, system: after.system - before.system };
}

/** Every case reached 渝快办 exactly once and, for tongban, was recorded as forwarded. */
async function verifySubmitted(stack: CaseStack, businessNos: string[], submittedSoFar: number, recorded: boolean): Promise<string[]> {
  const problems: string[] = [];
  const held = await stack.sandboxes.request<string[]>('yukuaibanCases');
  const times = new Map<string, number>();
  for (const businessNo of held) times.set(businessNo, (times.get(businessNo) ?? 0) + 1);
  const notOnce = businessNos.filter((businessNo) => times.get(businessNo) !== 1);
  if (notOnce.length) problems.push(`material-transfer: ${notOnce.length} case(s) not held by the 渝快办 sandbox exactly once, e.g. ${notOnce[0]}`);
  if (held.length !== submittedSoFar) problems.push(`material-transfer: the 渝快办 sandbox holds ${held.length} cases, ${submittedSoFar} were submitted`);
  const submits = (await stack.sandboxes.request<Record<string, number>>('yukuaibanRequests'))['POST /api/v1/cases'] ?? 0;
  if (submits !== submittedSoFar) problems.push(`material-transfer: ${submits} case submissions reached the sandbox for ${submittedSoFar} jobs (retries or losses)`);
  if (!recorded) return problems;
  const records = await stack.store.getMany(businessNos);
  const unrecorded = records.filter((record) => !record?.platformCaseId || !record.transfer?.forwardedAt);
  if (unrecorded.length) problems.push(`material-transfer: ${unrecorded.length} case(s) forwarded but not recorded as forwarded`);
  return problems;
}

function report(settings: BenchSettings, jobs: number, runs: Run[], problems: string[]) {
  const of = (path: Path) => runs.filter((run) => run.path === path);
  const rate = (run: Run) => (run.jobs * 1000) / run.ms;
  const rates = Object.fromEntries(PATHS.map((path) => [path, median(of(path).map(rate))])) as Record<Path, number>;
  const ratio = rates.tongban / rates.floor;
  const measured = PATHS.every((path) => of(path).length > 0);
  if (measured && !(ratio >= GOAL_RATIO)) {
    problems.push(`material-transfer: tongban keeps ${percent(ratio)} of the floor's throughput (goal ≥ ${GOAL_RATIO * 100} %)`);
  }
  const row = (label: string, path: Path) => {
    const list = of(path);
    if (!list.length) return `| ${label} | — | — | — | — | — |`;
    const total = (field: 'workerCpu' | 'redisCpu' | 'sandboxCpu') => list.reduce((sum, run) => sum + run[field], 0);
    const count = list.reduce((sum, run) => sum + run.jobs, 0);
    return `| ${label} | ${list.map((run) => whole(rate(run))).join(' · ')} | **${whole(rates[path])}** | ${perJob(total('workerCpu'), count)} | ${path === 'raw' ? '—' : perJob(total('sandboxCpu'), count)} | ${perJob(total('redisCpu'), count)} |`;
  };
  const verdict = measured
    ? [
        `tongban keeps **${percent(ratio)}** of the floor's throughput (goal ≥ ${GOAL_RATIO * 100} %${ratio >= GOAL_RATIO ? '' : ' — **missed**'}), and ${percent(rates.tongban / rates.raw)} of raw BullMQ's.`,
        `The platform calls alone (floor) keep ${percent(rates.floor / rates.raw)} of raw BullMQ's, one bare HTTP exchange per job ${percent(rates.bare / rates.raw)}.`,
      ].join(' ')
    : 'Not measured.';
  return {
    markdown: [
      '## Jobs: material-transfer throughput',
      '',
      `\`bench/jobs/material-transfer.scenario.ts\`: ${whole(jobs)} jobs per round, ${settings.rounds} round(s), concurrency ${CONCURRENCY} (the worker host's default), one worker process, Redis on loopback, the order of paths rotated each round. Jobs are queued before the worker starts; the clock runs from the first job taken to the last completed, after a warm-up round of ${WARM_UP_JOBS} jobs per path. CPU per job is over all measured rounds, in each process: the worker process's over the same window (with its garbage collector and I/O threads), the sandbox's and Redis's from the worker's start to its close.`,
      '',
      '| path | what each job does |',
      '|---|---|',
      '| raw BullMQ | nothing: no-op jobs with the same data shape, job options and concurrency on the same Redis |',
      '| bare HTTP | BullMQ and one kept-alive `node:http` POST per job of an intake-sized JSON body, to a server in the sandbox process that answers at once, discarding it: the least any processor making one call per job pays |',
      '| floor | BullMQ and the platform calls alone, for cases received and scanned the same way: each scan streamed from the same file store by the same signed client (`PUT /api/v1/files/{ywbh}/{sha256}`), then `POST /api/v1/cases` naming the file ids, to the 渝快办 sandbox, with requests built before the clock starts |',
      '| tongban | cases received, scanned and dispatched ONLINE through the workflow, then forwarded by the real worker host and `materialTransferProcessor`: case read, each scan sent as the floor sends it and its acknowledgement recorded, the case submitted, `recordForwarded` with alert re-planning, over the sandbox in its own process with no latency or faults |',
      '',
      '| path | jobs/s per round | jobs/s (median) | CPU per job: worker process | sandbox process | Redis |',
      '|---|---|---:|---:|---:|---:|',
      row('raw BullMQ, no-op processor', 'raw'),
      row('bare HTTP: BullMQ + one POST', 'bare'),
      row('floor: BullMQ + the platform calls', 'floor'),
      row('tongban material-transfer', 'tongban'),
      '',
      `${verdict} Checked after each round: every case was submitted to the 渝快办 sandbox exactly once (its records and its request count), and each of tongban's recorded as forwarded.`,
    ].join('\n'),
    summary: measured
      ? [`material-transfer: tongban ${whole(rates.tongban)} jobs/s, floor ${whole(rates.floor)} (${percent(ratio)}), bare HTTP ${whole(rates.bare)}, raw BullMQ ${whole(rates.raw)} jobs/s`]
      : ['material-transfer: not measured'],
    problems,
  };
}

const percent = (ratio: number) => `${(ratio * 100).toFixed(0)} %`;
