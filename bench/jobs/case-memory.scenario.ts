import { alertTimetableKey } from '../../queues/deadline-alerts.queue.js';
import { PARTITION_TAGS } from '../../ledger/cases/case-partitions.js';
import { bullPrefix, QUEUES } from '../../queues/queues.js';
import { plannedAlerts } from '../../ledger/alerts/case-alerts.js';
import type { CaseRecord } from '../../ledger/cases/case.model.js';
import type { Scenario } from '../scenario.types.js';
import { openCaseStack } from './case-stack.fixture.js';
import { bytes, whole } from '../figures.format.js';

const GOAL_BYTES = 4096;
const DEFICIENT_EVERY = 6;
const ALERTS = `${bullPrefix('')}:${QUEUES.deadlineAlerts}:`;

/** What each key is for, in the order the table lists them. */
const COMPONENTS: { name: string; matches: (key: string) => boolean }[] = [
  { name: 'case record (`case:{Lnn}:<no>`, deflated JSON)', matches: (key) => /^case:\{L\d+\}:[^:]+$/.test(key) },
  { name: 'event list (`case:{Lnn}:<no>:events`)', matches: (key) => /^case:\{L\d+\}:[^:]+:events$/.test(key) },
  { name: 'case indexes (`cases:*` sorted sets)', matches: (key) => key.startsWith('cases:') },
  { name: 'statistics, sequences, idempotency keys', matches: (key) => /^(stats|seq|idem):/.test(key) },
  { name: 'alert timetable (one sorted-set entry per alert)', matches: (key) => PARTITION_TAGS.some((tag) => key === alertTimetableKey(bullPrefix(''), tag)) },
  { name: 'alert jobs and queue keys (none until an alert is due)', matches: (key) => key.startsWith(ALERTS) },
  { name: 'other', matches: () => true },
];

/**
 * Redis memory of open cases with everything that comes with them: N
 * applications received through the workflow (one in six deficient), then
 * `MEMORY USAGE` (every nested value sampled) of each key under the scenario's
 * prefix, before and after, grouped by what the key is for.
 */
export const caseMemoryScenario: Scenario = {
  id: 'case-memory',
  async run(settings) {
    const cases = settings.quick ? 1_000 : 10_000;
    const stack = await openCaseStack();
    const problems: string[] = [];
    const rows: { name: string; keys: number; perCase: number }[] = [];
    try {
      const before = byComponent(await stack.keyMemory());
      console.error(`case-memory: receiving ${whole(cases)} applications`);
      const businessNos = await stack.receive(cases, { deficientEvery: DEFICIENT_EVERY });
      const after = byComponent(await stack.keyMemory());
      for (const { name } of COMPONENTS) {
        const [was, is] = [before.get(name) ?? { keys: 0, bytes: 0 }, after.get(name) ?? { keys: 0, bytes: 0 }];
        const perCase = (is.bytes - was.bytes) / cases;
        // Keys that existed before and barely changed (the window directory) are not the cases' memory.
        if (is.keys !== was.keys || Math.abs(perCase) >= 0.5) rows.push({ name, keys: is.keys - was.keys, perCase });
      }

      const records = (await stack.store.getMany(businessNos)).filter((record): record is CaseRecord => record !== null);
      if (records.length !== cases) problems.push(`case-memory: ${whole(records.length)} of ${whole(cases)} received cases are stored`);
      const indexed = (await stack.store.list({}, 0, 0)).total;
      if (indexed !== cases) problems.push(`case-memory: the case indexes hold ${whole(indexed)} cases, ${whole(cases)} were received`);
      const planned = records.reduce((sum, record) => sum + plannedAlerts(record, stack.calendar).length, 0);
      const scheduled = await stack.queues.alerts.scheduledCount();
      if (scheduled !== planned) problems.push(`case-memory: ${whole(scheduled)} alerts on the timetable for ${whole(planned)} planned alerts`);
    } catch (error) {
      problems.push(`case-memory: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await stack.close();
    }
    return report(cases, rows, problems);
  },
};

function byComponent(sizes: ReadonlyMap<string, number>): Map<string, { keys: number; bytes: number }> {
  const groups = new Map<string, { keys: number; bytes: number }>();
  for (const [key, size] of sizes) {
    const { name } = COMPONENTS.find((component) => component.matches(key))!;
    const group = groups.get(name) ?? { keys: 0, bytes: 0 };
    group.keys += 1;
    group.bytes += size;
    groups.set(name, group);
  }
  return groups;
}

function report(cases: number, rows: { name: string; keys: number; perCase: number }[], problems: string[]) {
  const total = rows.reduce((sum, row) => sum + row.perCase, 0);
  const measured = rows.length > 0;
  if (measured && total > GOAL_BYTES) problems.push(`case-memory: ${bytes(total)} of Redis per open case (goal ≤ ${bytes(GOAL_BYTES)})`);
  const largest = [...rows].sort((a, b) => b.perCase - a.perCase)[0];
  return {
    markdown: [
      '## Jobs: Redis memory per open case',
      '',
      `\`bench/jobs/case-memory.scenario.ts\`: ${whole(cases)} applications received through the workflow at a Sichuan window for Chongqing items (one in ${DEFICIENT_EVERY} deficient), each with its deadline alerts scheduled; \`MEMORY USAGE … SAMPLES 0\` of every key under the scenario's prefix before and after, divided by the number of cases. Shared keys (indexes, the alert timetable) are counted in full and so shared out.`,
      '',
      '| component | keys added | bytes per case | share |',
      '|---|---:|---:|---:|',
      ...rows.map((row) => `| ${row.name} | ${whole(row.keys)} | ${bytes(row.perCase)} | ${((row.perCase / total) * 100).toFixed(0)} % |`),
      `| **total** | | **${bytes(total)}** | |`,
      '',
      measured
        ? `Per open case: **${bytes(total)}** against the goal of ≤ ${bytes(GOAL_BYTES)}${total <= GOAL_BYTES ? '' : ' — **missed**'}; the largest part is the ${largest!.name.replace(/ \(.*$/, '')} at ${bytes(largest!.perCase)}.`
        : 'Not measured.',
      '',
      "What brought it down from 11.4 KB: a case's events are a list, not a stream (Redis 7 gives every stream a first node of 4,096 B, `stream-node-max-bytes`, however few entries it holds); a case record is its JSON deflated against a dictionary of its own fields (`ledger/cases/case-record.codec.ts`, 2.4 KB → 0.6 KB); and a planned alert is one entry of the alert timetable until its time comes, not a delayed BullMQ job (a hash of about 1.1 KB each, two per case).",
    ].join('\n'),
    summary: measured ? [`case-memory: ${bytes(total)} of Redis per open case (${whole(cases)} cases)`] : ['case-memory: not measured'],
    problems,
  };
}
