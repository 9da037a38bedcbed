import type { CaseQuery } from '../../ledger/cases/case.store.js';
import type { Scenario } from '../scenario.types.js';
import { openCaseStack, type CaseStack } from './case-stack.fixture.js';
import { cpuSeconds, perJob, whole } from '../figures.format.js';

/** Sichuan halls of nine divisions, receiving Chongqing items: their cases spread over the ledger's partitions. */
const WINDOWS = ['W-510000-01', 'W-510100-01', 'W-513200-01', 'W-511600-01', 'W-510104-01', 'W-511700-01', 'W-510500-01', 'W-513201-01', 'W-513221-01'];
const CONCURRENCY = 32;
const DEFICIENT_EVERY = 6;
const READS = 200;

interface Row {
  label: string;
  calls: number;
  ms: number;
  processCpu: number;
  redisCpu: number;
}

/** What each view reads: a window's queue, a supervisor's tenth page of 100, a region's newest and its overdue cases. */
const VIEWS: { label: string; query: CaseQuery; offset: number; limit: number; overdue?: boolean }[] = [
  { label: 'a window’s newest 50 (`windowId`)', query: { windowId: WINDOWS[1] }, offset: 0, limit: 50 },
  { label: 'all cases, page 10 of 100 (`cases(first: 100)`)', query: {}, offset: 900, limit: 100 },
  { label: 'a region’s newest 50 (`region`)', query: { region: 'SICHUAN' }, offset: 0, limit: 50 },
  { label: 'a window’s overdue cases (`clockStatus: OVERDUE`)', query: { clockStatus: 'OVERDUE', windowId: WINDOWS[2] }, offset: 0, limit: 50, overdue: true },
];

/**
 * The ledger's write path and its views (ledger/cases/case.store.ts), as the
 * workers and the cases subgraph use them: applications received through the
 * workflow at halls of nine divisions, `CONCURRENCY` at a time, then each view
 * read `READS` times. CPU per call is this process's (workflow, codec, ioredis)
 * and the Redis server's. Run against one Redis, or a cluster by REDIS_URL.
 */
export const ledgerScenario: Scenario = {
  id: 'ledger',
  async run(settings) {
    const cases = settings.quick ? 1_000 : 10_000;
    const stack = await openCaseStack();
    const rows: Row[] = [];
    const problems: string[] = [];
    try {
      console.error(`ledger: receiving ${whole(cases)} applications at ${WINDOWS.length} halls`);
      rows.push(
        await measure(stack, 'receive an application (write path)', cases, async () => {
          await stack.receive(cases, { concurrency: CONCURRENCY, deficientEvery: DEFICIENT_EVERY, windows: WINDOWS });
        }),
      );
      const listed = await stack.store.list({}, 0, 0);
      if (listed.total !== cases) problems.push(`ledger: the indexes hold ${whole(listed.total)} cases, ${whole(cases)} were received`);
      // Far enough on that every running clock is past its promised limit.
      const later = new Date(stack.now().getTime() + 400 * 24 * 3600 * 1000);
      for (const view of VIEWS) {
        const first = await stack.store.list(view.query, view.offset, view.limit, later);
        if (first.cases.length === 0) problems.push(`ledger: "${view.label}" found no case`);
        rows.push(
          await measure(stack, view.label, READS, async () => {
            for (let i = 0; i < READS; i++) await stack.store.list(view.query, view.offset, view.limit, view.overdue ? later : undefined);
          }),
        );
      }
    } catch (error) {
      problems.push(`ledger: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await stack.close();
    }
    return report(cases, rows, problems);
  },
};

async function measure(stack: CaseStack, label: string, calls: number, work: () => Promise<void>): Promise<Row> {
  const redisBefore = await stack.redisCpuSeconds();
  const cpuBefore = process.cpuUsage();
  const began = performance.now();
  await work();
  const ms = performance.now() - began;
  return { label, calls, ms, processCpu: cpuSeconds(process.cpuUsage(cpuBefore)), redisCpu: (await stack.redisCpuSeconds()) - redisBefore };
}

function report(cases: number, rows: Row[], problems: string[]) {
  const [write] = rows;
  return {
    markdown: [
      '## Ledger: write path and views',
      '',
      `\`bench/jobs/ledger.scenario.ts\`: ${whole(cases)} applications received through the workflow at Sichuan halls of ${WINDOWS.length} divisions (${CONCURRENCY} at a time, one in ${DEFICIENT_EVERY} deficient), then each view read ${READS} times, one after another. CPU per call: this process's and the Redis server's.`,
      '',
      '| operation | calls | per s | mean time | CPU per call: this process | Redis |',
      '|---|---:|---:|---:|---:|---:|',
      ...rows.map(
        (row) =>
          `| ${row.label} | ${whole(row.calls)} | ${whole((row.calls * 1000) / row.ms)} | ${(row.ms / row.calls).toFixed(2)} ms | ${perJob(row.processCpu, row.calls)} | ${perJob(row.redisCpu, row.calls)} |`,
      ),
    ].join('\n'),
    summary: write ? [`ledger: ${whole((write.calls * 1000) / write.ms)} applications/s received, ${perJob(write.redisCpu, write.calls)} of Redis CPU each`] : ['ledger: not measured'],
    problems,
  };
}
