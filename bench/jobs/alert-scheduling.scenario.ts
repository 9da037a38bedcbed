import { formatBusinessNo } from '../../domain/workflow/business-number.js';
import { plannedAlerts } from '../../ledger/alerts/case-alerts.js';
import type { CaseRecord } from '../../ledger/cases/case.model.js';
import type { Scenario } from '../scenario.types.js';
import { openCaseStack, type CaseStack } from './case-stack.fixture.js';
import { cpuSeconds, perJob, seconds, whole } from '../figures.format.js';
import { scanMaterials } from '../../test/support/scans.kit.js';

const GOAL_CASES = 100_000;
const GOAL_MS = 10_000;
/** Received cases, one in six deficient: each has a running deadline with its at-risk and overdue alerts. */
const TEMPLATES = 12;
const DEFICIENT_EVERY = 6;
const ACTOR = 'WINDOW_STAFF:bench';

interface Step {
  label: string;
  cases: number;
  added: number;
  removed: number;
  ms: number;
  processCpu: number;
  redisCpu: number;
}

/**
 * Scheduling the deadline alerts of many open cases at once through the real
 * DeadlineAlertQueue and planning code (`plannedAlerts` over the working-day
 * calendar), as after a restart or a migration. The cases are copies, under
 * their own business numbers, of cases received through the workflow, so every
 * plan is one the workflow would make; they are not stored, only their alerts
 * are scheduled. The timetable's size is checked after every step.
 */
export const alertSchedulingScenario: Scenario = {
  id: 'alert-scheduling',
  async run(settings) {
    const cases = settings.quick ? 10_000 : GOAL_CASES;
    const replanned = cases / 10;
    const stack = await openCaseStack();
    const counted = () => stack.queues.alerts.scheduledCount();
    const steps: Step[] = [];
    const problems: string[] = [];
    try {
      const received = await stack.receive(TEMPLATES, { deficientEvery: DEFICIENT_EVERY });
      const templates = (await stack.store.getMany(received)).filter((record): record is CaseRecord => record !== null);
      const copies = copiesOf(templates, cases, '510000');
      const planned = copies.reduce((sum, record) => sum + plannedAlerts(record, stack.calendar).length, 0);
      let expected = await counted();
      const check = async (label: string) => {
        const scheduled = await counted();
        if (scheduled !== expected) problems.push(`alert-scheduling: after "${label}" ${whole(scheduled)} alerts on the timetable, expected ${whole(expected)}`);
      };

      console.error(`alert-scheduling: ${whole(cases)} cases, ${whole(planned)} alerts`);
      const fresh = `schedule ${whole(cases)} open cases (\`syncMany\`)`;
      steps.push(await measure(stack, fresh, cases, planned, 0, () => stack.queues.alerts.syncMany(copies.map((next) => ({ previous: null, next })))));
      expected += planned;
      await check(fresh);

      const again = 'the same again (all already scheduled)';
      steps.push(await measure(stack, again, cases, 0, 0, () => stack.queues.alerts.syncMany(copies.map((next) => ({ previous: null, next })))));
      await check(again);

      // A dispatch pauses the clock: the promised-limit alerts go, the online-transfer ones come.
      const dispatched = await Promise.all(
        templates.map(async (record) => {
          if (record.stage !== 'RECEIVED') return null;
          await scanMaterials(stack, record.businessNo);
          return stack.workflow.dispatchMaterials(record.businessNo, 'ONLINE', ACTOR);
        }),
      );
      const changes = copies.slice(0, replanned).flatMap((previous, index) => {
        const next = dispatched[index % templates.length];
        return next ? [{ previous, next: { ...next, businessNo: previous.businessNo } }] : [];
      });
      const removedAlerts = changes.reduce((sum, { previous }) => sum + plannedAlerts(previous, stack.calendar).length, 0);
      const addedAlerts = changes.reduce((sum, { next }) => sum + plannedAlerts(next, stack.calendar).length, 0);
      expected = await counted();
      const replan = `re-plan ${whole(changes.length)} of them after dispatch (\`syncMany\`)`;
      steps.push(await measure(stack, replan, changes.length, addedAlerts, removedAlerts, () => stack.queues.alerts.syncMany(changes)));
      expected += addedAlerts - removedAlerts;
      await check(replan);

    } catch (error) {
      problems.push(`alert-scheduling: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await stack.close();
    }
    return report(cases, steps, problems);
  },
};

/**
 * `count` copies of the templates in turn, each with a business number of its
 * own: a day after the templates', from the given division, so that no copy
 * names a template or another copy.
 */
function copiesOf(templates: readonly CaseRecord[], count: number, divisionCode: string): CaseRecord[] {
  const perDay = 99_999;
  return Array.from({ length: count }, (_, index) => {
    const day = new Date(Date.UTC(2025, 10, 25 + Math.floor(index / perDay))).toISOString().slice(0, 10);
    return { ...templates[index % templates.length]!, businessNo: formatBusinessNo(day, divisionCode, (index % perDay) + 1) };
  });
}

async function measure(stack: CaseStack, label: string, cases: number, added: number, removed: number, work: () => Promise<void>): Promise<Step> {
  const redisBefore = await stack.redisCpuSeconds();
  const cpuBefore = process.cpuUsage();
  const began = performance.now();
  await work();
  const ms = performance.now() - began;
  const processCpu = cpuSeconds(process.cpuUsage(cpuBefore));
  return { label, cases, added, removed, ms, processCpu, redisCpu: (await stack.redisCpuSeconds()) - redisBefore };
}

function report(cases: number, steps: Step[], problems: string[]) {
  const [fresh] = steps;
  const projected = fresh ? (fresh.ms * GOAL_CASES) / fresh.cases : Number.NaN;
  const isProjection = cases !== GOAL_CASES;
  const within = projected <= GOAL_MS;
  if (fresh && !within) {
    problems.push(`alert-scheduling: ${whole(GOAL_CASES)} open cases ${isProjection ? 'would take about' : 'took'} ${seconds(projected)} to schedule (goal ≤ ${seconds(GOAL_MS)})`);
  }
  const touched = (step: Step) => step.added + step.removed;
  // What Redis alone needs for that many alerts, however fast this process were.
  const redisFloorMs = fresh ? ((fresh.redisCpu * 1000) / fresh.cases) * GOAL_CASES : Number.NaN;
  const verdict = fresh
    ? `${whole(GOAL_CASES)} open cases: **${seconds(projected)}**${isProjection ? ` (projected from ${whole(cases)})` : ''} against the goal of ≤ ${seconds(GOAL_MS)}${within ? '' : ' — **missed**'}. Their ${whole((fresh.added * GOAL_CASES) / fresh.cases)} alerts take ${seconds(redisFloorMs)} of Redis CPU. Each alert is one entry of the timetable (a sorted set) until its time comes; only then does the sweep make it a BullMQ job. Scheduled as one delayed BullMQ job per alert instead (one Lua script and a hash each), the same 100,000 cases took 24.05 s, 77 µs of Redis CPU per job.`
    : 'Not measured.';
  return {
    markdown: [
      '## Jobs: scheduling deadline alerts',
      '',
      `\`bench/jobs/alert-scheduling.scenario.ts\`: the real \`DeadlineAlertQueue\` (\`queues/deadline-alerts.queue.ts\`) and planning code over Redis, for copies of ${TEMPLATES} cases received through the workflow (one in ${DEFICIENT_EVERY} deficient), each with its own business number. Each step is checked against the size of the alert timetable. CPU is this process's (planning, encoding, ioredis) and the Redis server's, per alert added or removed.`,
      '',
      '| step | cases | alerts added | alerts removed | time | alerts added + removed per s | CPU per alert: this process | Redis |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...steps.map(
        (step) =>
          `| ${step.label} | ${whole(step.cases)} | ${whole(step.added)} | ${whole(step.removed)} | ${seconds(step.ms)} | ${touched(step) ? whole((touched(step) * 1000) / step.ms) : '—'} | ${touched(step) ? perJob(step.processCpu, touched(step)) : '—'} | ${touched(step) ? perJob(step.redisCpu, touched(step)) : '—'} |`,
      ),
      '',
      verdict,
    ].join('\n'),
    summary: fresh ? [`alert-scheduling: ${whole(fresh.cases)} cases (${whole(fresh.added)} alerts) in ${seconds(fresh.ms)}; ${whole(GOAL_CASES)} cases ≈ ${seconds(projected)}`] : ['alert-scheduling: not measured'],
    problems,
  };
}
