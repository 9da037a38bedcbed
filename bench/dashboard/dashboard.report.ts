import type { LoadResult } from '../load/load.types.js';
import type { BenchSettings, ScenarioReport } from '../scenario.types.js';
import { median, oneLine, percent } from '../figures.format.js';
import { renderProfileSummary } from '../profile/cpu-profile.summary.js';

export const TARGETS = [
  {
    id: 'gateway',
    label: 'tongban gateway',
    setup: '`startGateway()` from `gateway/gateway.server.ts`, `production: true`, subgraph timeout 10 s, pino at `warn`, the stack\'s token verifier and Redis',
  },
  {
    id: 'floor',
    label: 'floor',
    setup: "the query plan's subgraph fetches as Apollo Gateway sends them, recorded once and replayed per request in the plan's order (parallel where it is parallel) with the request's token and a request id, over the gateway's own subgraph client (`gateway/subgraph.fetcher.ts`); every subgraph answer must equal the recorded one byte for byte",
  },
] as const;

export type TargetId = (typeof TARGETS)[number]['id'];

export interface LoadLevel {
  id: 'serial' | 'saturated';
  connections: number;
  label: string;
}

export interface Measurement {
  target: TargetId;
  level: LoadLevel['id'];
  round: number;
  load: LoadResult;
  /** CPU time over the measured window: the process in front (gateway or floor), and the stack behind it. */
  cpuMs: { front: number; stack: number };
}

/** Gateway latency over the floor's, at most. */
const GOAL = 1.3;
const NOISY_SPREAD = 0.1;

interface Row {
  rps: number;
  spread: number;
  p50: number;
  p99: number;
  errors: number;
  frontCpuMs: number;
  stackCpuMs: number;
}

export function renderDashboardReport(input: {
  settings: BenchSettings;
  levels: LoadLevel[];
  cases: number;
  callers: number;
  plan: string | undefined;
  fetchesPerRequest: Record<string, number> | undefined;
  /** Slices of each load's measured time, in which the targets take turns. */
  slices: number;
  measurements: Measurement[];
  problems: string[];
  /** With --profile: each target's CPU profile (.cpuprofile) over its whole run. */
  profiles: Map<TargetId, string>;
}): ScenarioReport {
  const { settings, levels, measurements } = input;
  const row = (target: TargetId, level: LoadLevel['id']): Row | undefined => {
    const mine = measurements.filter((m) => m.target === target && m.level === level);
    if (!mine.length) return undefined;
    const rps = mine.map((m) => m.load.requestsPerSec);
    return {
      rps: median(rps),
      spread: (Math.max(...rps) - Math.min(...rps)) / median(rps),
      p50: median(mine.map((m) => m.load.latencyP50Ms)),
      p99: median(mine.map((m) => m.load.latencyP99Ms)),
      errors: mine.reduce((sum, m) => sum + m.load.errors, 0),
      frontCpuMs: median(mine.map((m) => m.cpuMs.front / m.load.requests)),
      stackCpuMs: median(mine.map((m) => m.cpuMs.stack / m.load.requests)),
    };
  };
  const ratios = levels.map((level) => {
    const gateway = row('gateway', level.id);
    const floor = row('floor', level.id);
    return {
      level,
      p50: gateway && floor ? gateway.p50 / floor.p50 : undefined,
      p99: gateway && floor ? gateway.p99 / floor.p99 : undefined,
      rps: gateway && floor ? gateway.rps / floor.rps : undefined,
    };
  });
  const times = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? 'not measured' : `${value.toFixed(2)}×`);
  const met = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '—' : value <= GOAL ? 'yes' : 'no');
  const noisy = levels.flatMap((level) =>
    TARGETS.filter((target) => (row(target.id, level.id)?.spread ?? 0) > NOISY_SPREAD).map((target) => `${target.label} (${level.label})`),
  );
  const fetches = input.fetchesPerRequest
    ? Object.entries(input.fetchesPerRequest)
        .map(([subgraph, n]) => `${subgraph} ${n}`)
        .join(', ')
    : 'not recorded';

  const lines = [
    '## Domain dashboard: a window\'s open cases, gateway against its floor',
    '',
    `One document (\`bench/dashboard/dashboard.query.ts\`): the ${input.cases} open cases of a 通办 window, each with its item's name and department from the owning region's platform subgraph (渝快办 or 四川一体化, through the \`ServiceItem\` interface entity), both windows' names, its 政务专递 shipments' states and its clock. The **floor** is what the gateway cannot avoid: the same subgraph fetches, issued directly. The goal (issue "Performance", item 2) is gateway latency ≤ ${GOAL}× the floor's.`,
    '',
    `- **Stack** (\`bench/dashboard/stack.process.ts\`): \`test/support/stack.ts\` in a process of its own — the platform sandboxes, the five subgraphs and the workers over real Redis — seeded through the workflow with ${input.cases} open cases at one Chongqing window (\`bench/dashboard/dashboard.data.ts\`): two in five items Sichuan's, three Chongqing's; a third of the cases sent on paper (a waybill each, half of them collected), a third online, a third still at the window. Its catalog cache at its default, as deployed.`,
    `- **Plan**: \`${input.plan ?? 'not recorded'}\`; per request ${fetches}. The gateway's own \`tongban_subgraph_fetch_duration_seconds\` count for one request must match the floor's.`,
    '- **Targets**, each in a process of its own with `NODE_ENV=production`, in front of the same stack process, loaded in turn, never both at once:',
    '',
    '| target | setup |',
    '|---|---|',
    ...TARGETS.map((target) => `| ${target.label} | ${target.setup} |`),
    '',
    `- **Load**: autocannon in its own process, the same POST each time but with the bearer token of the next of ${input.callers.toLocaleString('en-US')} members of the window's staff (\`bench/load/autocannon.process.ts\` with \`tokens\`), so that no two requests in flight share credentials and in-flight deduplication never applies. ${settings.warmUpSec} s warm-up at ${settings.connections} connections (not counted), then ${settings.measureSec} s at each load: ${levels.map((level) => `**${level.label}**`).join(' and ')}, each cut into ${input.slices} slice(s) of ${settings.measureSec / input.slices} s in which the targets take turns (the order rotated from slice to slice), so that a change in what else the machine runs falls on both alike. A round's latencies are every 2xx response's time over all its slices, in fractional milliseconds as autocannon measures each response; ${settings.rounds} round(s), each begun with a warm-up of both targets; figures are medians over rounds.`,
    `- **Correctness**: before any load, the gateway's answer must hold every seeded case exactly as the seeds, the ledger and the courier's records say (item names and departments of both regions, window names, shipment states, clocks), and be the same bytes for two different callers; under load every response is compared byte for byte with it (the floor's with its own fixed answer), and any other, a time-out, non-2xx or connection error counts in **errors**.`,
    '',
  ];
  if (input.problems.length) {
    lines.push('**Problems**:', '', ...input.problems.map((problem) => `- ${oneLine(problem)}`), '');
  }
  lines.push(
    '| load | target | requests/s | p50 latency | p99 latency | errors | CPU per request: front process · stack |',
    '|---|---|---:|---:|---:|---:|---:|',
  );
  for (const level of levels) {
    for (const target of TARGETS) {
      const r = row(target.id, level.id);
      lines.push(
        r
          ? `| ${level.label} | ${target.label} | **${r.rps.toFixed(0)}** | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.errors} | ${r.frontCpuMs.toFixed(2)} ms · ${r.stackCpuMs.toFixed(2)} ms |`
          : `| ${level.label} | ${target.label} | not measured | | | | |`,
      );
    }
  }
  lines.push(
    '',
    '"CPU per request" is each process\'s CPU time over the measured window divided by the requests answered: the front process is the gateway or the floor, the stack the subgraphs, sandboxes and workers behind both.',
    '',
    '| load | gateway / floor, p50 | p99 | requests/s | goal (latency) | met: p50 · p99 |',
    '|---|---:|---:|---:|---:|---|',
    ...ratios.map((r) => `| ${r.level.label} | ${times(r.p50)} | ${times(r.p99)} | ${times(r.rps)} | ≤ ${GOAL.toFixed(1)}× | ${met(r.p50)} · ${met(r.p99)} |`),
    '',
  );
  if (noisy.length) {
    lines.push(
      `**Noise:** requests/s varied by more than ${percent(NOISY_SPREAD)} between rounds for ${noisy.join(', ')}. The machine's cores are shared; compare CPU per request, which such sharing affects much less, and rerun before drawing fine conclusions.`,
      '',
    );
  }
  if (settings.rounds > 1) {
    lines.push(
      '<details><summary>Every round</summary>',
      '',
      '| round | load | target | requests/s | p50 | p99 | errors | requests |',
      '|---:|---|---|---:|---:|---:|---:|---:|',
      ...measurements.map(
        (m) =>
          `| ${m.round} | ${levels.find((level) => level.id === m.level)!.label} | ${TARGETS.find((target) => target.id === m.target)!.label} | ${m.load.requestsPerSec.toFixed(0)} | ${m.load.latencyP50Ms.toFixed(1)} ms | ${m.load.latencyP99Ms.toFixed(1)} ms | ${m.load.errors} | ${m.load.requests} |`,
      ),
      '',
      '</details>',
      '',
    );
  }
  for (const [id, path] of input.profiles) {
    lines.push(renderProfileSummary(`CPU profile of ${TARGETS.find((target) => target.id === id)!.label}`, path), '');
  }

  return {
    markdown: lines.join('\n').trimEnd(),
    summary: [
      ...levels.flatMap((level) =>
        TARGETS.flatMap((target) => {
          const r = row(target.id, level.id);
          return r
            ? [`dashboard ${target.label}, ${level.label}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.errors} errors`]
            : [];
        }),
      ),
      ...ratios.map((r) => `dashboard gateway / floor, ${r.level.label}: p50 ${times(r.p50)}, p99 ${times(r.p99)} (goal ≤ ${GOAL}×)`),
    ],
    problems: input.problems.map((problem) => `dashboard: ${oneLine(problem)}`),
  };
}
