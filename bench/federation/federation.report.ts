import { createHash } from 'node:crypto';
import type { LoadResult } from '../load/load.types.js';
import { renderProfileSummary } from '../profile/cpu-profile.summary.js';
import type { BenchSettings, ScenarioReport } from '../scenario.types.js';
import { expectedResponse } from './federation.query.js';
import { TARGETS, type TargetId } from './gateway.target.js';
import { median, oneLine, percent } from '../figures.format.js';

export interface Measurement {
  target: TargetId;
  round: number;
  load: LoadResult;
  /** CPU time each process spent during the measured window. */
  cpuMs: { gateway: number; subgraphs: number; loader: number };
}

/** A target's exact answer to the query, checked before its load. */
export interface Verified {
  body: string;
}

/** Above this spread between rounds, the figures are called noisy in the report. */
const NOISY_SPREAD = 0.1;

const GOALS: { label: string; over: TargetId; goal: number }[] = [
  { label: '(a) / (b)', over: 'apollo-gateway', goal: 3 },
  { label: '(a) / (c)', over: 'hive-gateway', goal: 1 },
];

interface Row {
  id: TargetId;
  label: string;
  rps: number;
  spread: number;
  p50: number;
  p99: number;
  errors: number;
  gatewayCpuMsPerRequest: number;
  cores: { gateway: number; subgraphs: number; loader: number };
}

export function renderFederationReport(input: {
  settings: BenchSettings;
  verified: Map<TargetId, Verified>;
  failures: Map<TargetId, string>;
  measurements: Measurement[];
  profiles: Map<TargetId, string>;
}): ScenarioReport {
  const { settings, verified, failures, measurements, profiles } = input;
  const labelOf = (id: TargetId) => TARGETS.find((target) => target.id === id)!.label;
  const rows = TARGETS.filter((target) => !failures.has(target.id) && measurements.some((m) => m.target === target.id)).map(
    (target): Row => {
      const mine = measurements.filter((m) => m.target === target.id);
      const rps = mine.map((m) => m.load.requestsPerSec);
      const cores = (ms: (m: Measurement) => number) => median(mine.map((m) => ms(m) / 1000 / m.load.durationSec));
      return {
        id: target.id,
        label: target.label,
        rps: median(rps),
        spread: (Math.max(...rps) - Math.min(...rps)) / median(rps),
        p50: median(mine.map((m) => m.load.latencyP50Ms)),
        p99: median(mine.map((m) => m.load.latencyP99Ms)),
        errors: mine.reduce((sum, m) => sum + m.load.errors, 0),
        gatewayCpuMsPerRequest: median(mine.map((m) => m.cpuMs.gateway / m.load.requests)),
        cores: { gateway: cores((m) => m.cpuMs.gateway), subgraphs: cores((m) => m.cpuMs.subgraphs), loader: cores((m) => m.cpuMs.loader) },
      };
    },
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  const ratio = (over: TargetId): number | undefined => {
    const tongban = byId.get('tongban');
    const other = byId.get(over);
    return tongban && other ? tongban.rps / other.rps : undefined;
  };
  const times = (value: number | undefined) => (value === undefined ? 'not measured' : `${value.toFixed(2)}×`);
  const noisy = rows.filter((row) => row.spread > NOISY_SPREAD);
  const expected = JSON.stringify(expectedResponse());
  const exact = [...verified].filter(([, answer]) => answer.body === expected).map(([id]) => labelOf(id));

  const lines = [
    '## Federation: the public gateway benchmark',
    '',
    'The "federation" scenario of the public GraphQL gateway benchmark (graphql-hive/graphql-gateways-benchmark): four subgraphs (`accounts`, `inventory`, `products`, `reviews`) with its in-memory data, and its query, verbatim — `users` and `topProducts`, each three levels deep in reviews, products and authors, with `Product.shippingEstimate` `@requires(fields: "price weight")` and `Review.author` `@provides(fields: "username")`. Apollo\'s query planner answers it with 16 subgraph fetches.',
    '',
    '- **Subgraphs** (`bench/federation/*.subgraph.ts`): `@apollo/subgraph` schemas on one plain `node:http` server, one path each, in a process of their own; documents are parsed and validated once, so that the subgraphs take as little as possible of the CPU the gateways need. The supergraph is composed with `@apollo/composition` at start.',
    '- **Targets**, each in a fresh process of its own per round, with `NODE_ENV=production` and without source-mapped stack traces (which tsx would otherwise turn on), one after the other, never two at once:',
    '',
    '| target | setup |',
    '|---|---|',
    ...TARGETS.map((target) => `| ${target.label} | ${target.setup} |`),
    '',
    `- **Load**: autocannon in its own process, ${settings.connections} connections, each request the same POST; ${settings.warmUpSec} s warm-up (not counted), then ${settings.measureSec} s measured; ${settings.rounds} round(s), the order of targets rotated each round; figures are medians over rounds.`,
    `- **Correctness**: before any load, each target must return the expected answer — worked out from the data without GraphQL: ${Buffer.byteLength(expected).toLocaleString('en-US')} bytes of compact JSON, sha256 \`${sha(expected)}\`, fields in query order${exact.length ? `, byte for byte so from ${exact.join(', ')}` : ''} — and the same bytes twice; under load every response is compared byte for byte with the target's own answer, and any other response, time-out, non-2xx or connection error counts in **errors**.`,
    '',
  ];
  if (failures.size) {
    lines.push(
      '**Not measured** — these targets failed before or during their load:',
      '',
      '| target | failure |',
      '|---|---|',
      ...[...failures].map(([id, reason]) => `| ${labelOf(id)} | ${oneLine(reason)} |`),
      '',
    );
  }
  lines.push(
    '| target | requests/s | spread over rounds | p50 latency | p99 latency | errors | gateway CPU per request | cores used: gateway · subgraphs · autocannon |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (row) =>
        `| ${row.label} | **${row.rps.toFixed(0)}** | ${percent(row.spread)} | ${row.p50.toFixed(0)} ms | ${row.p99.toFixed(0)} ms | ${row.errors} | ${row.gatewayCpuMsPerRequest.toFixed(2)} ms | ${row.cores.gateway.toFixed(2)} · ${row.cores.subgraphs.toFixed(2)} · ${row.cores.loader.toFixed(2)} |`,
    ),
    '',
    '"Gateway CPU per request" is the gateway process\'s CPU time over the measured window divided by the requests it answered: unlike requests/s, it hardly depends on how the machine\'s cores were shared with the subgraphs, the load generator and anything else running.',
    '',
    '| ratio of requests/s | value | goal | met |',
    '|---|---:|---:|---|',
    ...GOALS.map((g) => {
      const value = ratio(g.over);
      return `| ${g.label} | ${times(value)} | ≥ ${g.goal.toFixed(1)}× | ${value === undefined ? '—' : value >= g.goal ? 'yes' : 'no'} |`;
    }),
    `| (a) / (c') | ${times(ratio('hive-gateway-no-dedup'))} | — | (diagnostic) |`,
    '',
  );
  if (noisy.length) {
    lines.push(
      `**Noise:** requests/s varied by more than ${percent(NOISY_SPREAD)} between rounds for ${noisy.map((row) => row.label).join(', ')}. This machine's cores are shared (other work may have run during the measurement); compare the CPU-per-request column, which such sharing affects much less, and rerun before drawing fine conclusions.`,
      '',
    );
  }
  if (settings.rounds > 1) {
    lines.push(
      '<details><summary>Every round</summary>',
      '',
      '| round | target | requests/s | p50 | p99 | errors | requests | gateway CPU per request |',
      '|---:|---|---:|---:|---:|---:|---:|---:|',
      ...measurements.map(
        (m) =>
          `| ${m.round} | ${labelOf(m.target)} | ${m.load.requestsPerSec.toFixed(0)} | ${m.load.latencyP50Ms.toFixed(0)} ms | ${m.load.latencyP99Ms.toFixed(0)} ms | ${m.load.errors} | ${m.load.requests} | ${(m.cpuMs.gateway / m.load.requests).toFixed(2)} ms |`,
      ),
      '',
      '</details>',
      '',
    );
  }
  for (const [id, path] of profiles) lines.push(renderProfileSummary(`CPU profile of ${labelOf(id)}`, path), '');

  return {
    markdown: lines.join('\n').trimEnd(),
    summary: [
      ...rows.map(
        (row) =>
          `${row.label}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50.toFixed(0)} ms, p99 ${row.p99.toFixed(0)} ms, ${row.errors} errors, ${row.gatewayCpuMsPerRequest.toFixed(2)} ms gateway CPU/request`,
      ),
      ...GOALS.map((g) => `${g.label} = ${times(ratio(g.over))} (goal ≥ ${g.goal}×)`),
    ],
    problems: [...failures].map(([id, reason]) => `${labelOf(id)} not measured: ${oneLine(reason)}`),
  };
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
