import { Queue, Worker } from 'bullmq';
import { materialTransferProcessor } from '../../jobs/material-transfer.processor.js';
import { DEFAULT_JOB_OPTIONS, QUEUES } from '../../jobs/queues.js';
import { startWorkers, type Processor } from '../../jobs/worker-host.js';
import { createLogger } from '../../lib/logger.js';
import { createRegistry, JobMetrics } from '../../lib/metrics.js';
import type { BenchSettings, Scenario } from '../scenario.types.js';
import { openCaseStack, type CaseStack } from './case-stack.fixture.js';
import { cpuSeconds, median, perJob, seconds, whole } from '../figures.format.js';

/** The worker host's default, which jobs/main.ts runs with. */
const CONCURRENCY = 8;
const GOAL_RATIO = 0.5;
const WARM_UP_JOBS = 100;
/** Receiving and dispatching the cases is preparation, not measured: as fast as the stack allows. */
const PREPARE_CONCURRENCY = 16;
const NOOP_QUEUE = '{bench-noop}';
const ACTOR = 'WINDOW_STAFF:bench';
const logger = createLogger({ level: 'silent', service: 'bench' });

type Path = 'raw' | 'tongban';

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
 * Redis: how much of the queue's own throughput the transfer keeps. Each round
 * queues all its jobs first, then starts the worker and times it from the first
 * job taken to the last completed; the two paths alternate who goes first.
 */
export const materialTransferScenario: Scenario = {
  id: 'material-transfer',
  async run(settings) {
    const jobs = settings.quick ? 400 : 2000;
    const stack = await openCaseStack();
    const runs: Run[] = [];
    const problems: string[] = [];
    let forwarded = 0;
    try {
      // Round 0 warms up both paths (connections, scripts, JIT) and is not reported.
      for (let round = 0; round <= settings.rounds; round++) {
        const size = round === 0 ? WARM_UP_JOBS : jobs;
        const order: Path[] = round % 2 ? ['raw', 'tongban'] : ['tongban', 'raw'];
        for (const path of order) {
          console.error(`material-transfer: ${round === 0 ? 'warm-up' : `round ${round}/${settings.rounds}`}, ${path}, ${size} jobs`);
          let run: Run;
          if (path === 'raw') {
            run = await rawRound(stack, round, size);
          } else {
            const measured = await tongbanRound(stack, size);
            run = measured.run;
            forwarded += size;
            problems.push(...(await verifyForwarded(stack, measured.businessNos, forwarded)));
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

async function rawRound(stack: CaseStack, round: number, jobs: number): Promise<Run> {
  const queue = new Queue(NOOP_QUEUE, { connection: stack.connection, prefix: stack.bullPrefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  try {
    for (let start = 0; start < jobs; start += 1000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1000, jobs - start) }, (_, offset) => {
          const businessNo = `NOOP-${round}-${start + offset}`;
          return { name: 'transfer', data: { businessNo, channel: 'ONLINE' }, opts: { jobId: `transfer-${businessNo}` } };
        }),
      );
    }
    return await timed(stack, 'raw', jobs, () => {
      const worker = new Worker(NOOP_QUEUE, async () => undefined, { connection: stack.connection, prefix: stack.bullPrefix, concurrency: CONCURRENCY });
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
    for (let index = next++; index < jobs; index = next++) await stack.workflow.dispatchMaterials(businessNos[index]!, 'ONLINE', ACTOR);
  };
  await Promise.all(Array.from({ length: PREPARE_CONCURRENCY }, dispatch));
  const processor = materialTransferProcessor({
    workflow: stack.workflow,
    platforms: stack.platforms,
    courier: stack.courier,
    shipments: stack.shipments,
    directory: stack.directory,
  });
  const run = await timed(stack, 'tongban', jobs, () =>
    startWorkers({
      connection: stack.connection,
      prefix: stack.bullPrefix,
      processors: { [QUEUES.materialTransfer]: processor as Processor },
      logger,
      concurrency: CONCURRENCY,
      metrics: new JobMetrics(createRegistry()),
    }),
  );
  return { run, businessNos };
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

/** Every case reached 渝快办 exactly once and was recorded as forwarded. */
async function verifyForwarded(stack: CaseStack, businessNos: string[], forwardedSoFar: number): Promise<string[]> {
  const problems: string[] = [];
  const held = await stack.sandboxes.request<string[]>('yukuaibanCases');
  const times = new Map<string, number>();
  for (const businessNo of held) times.set(businessNo, (times.get(businessNo) ?? 0) + 1);
  const notOnce = businessNos.filter((businessNo) => times.get(businessNo) !== 1);
  if (notOnce.length) problems.push(`material-transfer: ${notOnce.length} case(s) not held by the 渝快办 sandbox exactly once, e.g. ${notOnce[0]}`);
  if (held.length !== forwardedSoFar) problems.push(`material-transfer: the 渝快办 sandbox holds ${held.length} cases, ${forwardedSoFar} were forwarded`);
  const submits = (await stack.sandboxes.request<Record<string, number>>('yukuaibanRequests'))['POST /api/v1/cases'] ?? 0;
  if (submits !== forwardedSoFar) problems.push(`material-transfer: ${submits} case submissions reached the sandbox for ${forwardedSoFar} transfers (retries or losses)`);
  const records = await stack.store.getMany(businessNos);
  const unrecorded = records.filter((record) => !record?.platformCaseId || !record.transfer?.forwardedAt);
  if (unrecorded.length) problems.push(`material-transfer: ${unrecorded.length} case(s) forwarded but not recorded as forwarded`);
  return problems;
}

function report(settings: BenchSettings, jobs: number, runs: Run[], problems: string[]) {
  const of = (path: Path) => runs.filter((run) => run.path === path);
  const rate = (run: Run) => (run.jobs * 1000) / run.ms;
  const rates = { raw: median(of('raw').map(rate)), tongban: median(of('tongban').map(rate)) };
  const ratio = rates.tongban / rates.raw;
  const measured = of('raw').length > 0 && of('tongban').length > 0;
  if (measured && !(ratio >= GOAL_RATIO)) {
    problems.push(`material-transfer: tongban keeps ${(ratio * 100).toFixed(0)} % of raw BullMQ throughput (goal ≥ ${GOAL_RATIO * 100} %)`);
  }
  const row = (label: string, path: Path) => {
    const list = of(path);
    if (!list.length) return `| ${label} | — | — | — | — | — |`;
    const total = (field: 'workerCpu' | 'redisCpu' | 'sandboxCpu') => list.reduce((sum, run) => sum + run[field], 0);
    const count = list.reduce((sum, run) => sum + run.jobs, 0);
    return `| ${label} | ${list.map((run) => whole(rate(run))).join(' · ')} | **${whole(rates[path])}** | ${perJob(total('workerCpu'), count)} | ${path === 'raw' ? '—' : perJob(total('sandboxCpu'), count)} | ${perJob(total('redisCpu'), count)} |`;
  };
  const verdict = measured
    ? `tongban keeps **${(ratio * 100).toFixed(0)} %** of raw BullMQ throughput (goal ≥ ${GOAL_RATIO * 100} %${ratio >= GOAL_RATIO ? '' : ' — **missed**'}).`
    : 'Not measured.';
  return {
    markdown: [
      '## Jobs: material-transfer throughput',
      '',
      `\`bench/jobs/material-transfer.scenario.ts\`: ${whole(jobs)} jobs per round, ${settings.rounds} round(s), concurrency ${CONCURRENCY} (the worker host's default), one worker process, Redis on loopback. **tongban**: cases received and dispatched through the workflow, then forwarded by the real worker host and \`materialTransferProcessor\` (case read, signed 渝快办 client, \`POST /api/v1/cases\` to the sandbox in its own process with no latency or faults, \`recordForwarded\`, alert re-planning). **raw BullMQ**: no-op jobs with the same data shape, job options and concurrency on the same Redis. Jobs are queued before the worker starts; the clock runs from the first job taken to the last completed, after a warm-up round of ${WARM_UP_JOBS} jobs per path. CPU per job is over all measured rounds, in each process: the worker process's over the same window (with its garbage collector and I/O threads), the sandbox's and Redis's from the worker's start to its close.`,
      '',
      '| path | jobs/s per round | jobs/s (median) | CPU per job: worker process | sandbox process | Redis |',
      '|---|---|---:|---:|---:|---:|',
      row('raw BullMQ, no-op processor', 'raw'),
      row('tongban material-transfer', 'tongban'),
      '',
      `${verdict} Checked after each round: every case was submitted to the 渝快办 sandbox exactly once (its records and its request count), and recorded as forwarded.`,
    ].join('\n'),
    summary: measured
      ? [`material-transfer: tongban ${whole(rates.tongban)} jobs/s, raw BullMQ ${whole(rates.raw)} jobs/s (${(ratio * 100).toFixed(0)} %)`]
      : ['material-transfer: not measured'],
    problems,
  };
}
