import { join } from 'node:path';
import { startChild, type ChildHandle } from '../child.ipc.js';
import { cpuMs, idle, rotate } from '../measurement.kit.js';
import { newestProfile } from '../profile/cpu-profile.summary.js';
import type { LoadResult, LoadSpec } from '../load/load.types.js';
import type { Scenario } from '../scenario.types.js';
import { renderDashboardReport, TARGETS, type LoadLevel, type Measurement, type TargetId } from './dashboard.report.js';
import { dashboardBody, dashboardDifference, DASHBOARD_QUERY } from './dashboard.query.js';
import type { FloorEndpoint, FloorInput } from './floor.process.js';
import type { GatewayEndpoint, GatewayInput } from './gateway.process.js';
import type { StackSetup } from './stack.process.js';
import { fetchesBetween, subgraphFetchCounts } from './subgraph-fetch.counter.js';

const STACK_PROCESS = new URL('./stack.process.ts', import.meta.url);
const GATEWAY_PROCESS = new URL('./gateway.process.ts', import.meta.url);
const FLOOR_PROCESS = new URL('./floor.process.ts', import.meta.url);
const LOAD_PROCESS = new URL('../load/autocannon.process.ts', import.meta.url);

/** A Chongqing district window (万州): the seeded items are all decided at other windows, so its list is exactly what it received. */
export const WINDOW_ID = 'W-500101-01';
export const CASES = 50;
/** Far more than connections, so the rotation never brings one caller back while their last request is in flight. */
export const CALLERS = 2000;
const SUBGRAPH_TIMEOUT_MS = 10_000;

interface Target {
  id: TargetId;
  url: string;
  expectBody: string;
  process: ChildHandle;
}

/**
 * The domain dashboard (issue "Performance", item 2) through tongban's gateway and
 * through its floor, the same subgraph fetches issued directly, in front of one
 * seeded stack; each checked before any load, warmed up, then measured one request
 * at a time and saturated, the two taking turns slice by slice.
 */
export const dashboardScenario: Scenario = {
  id: 'dashboard',
  async run(settings) {
    const levels: LoadLevel[] = [
      { id: 'serial', connections: 1, label: 'one request at a time' },
      { id: 'saturated', connections: settings.connections, label: `${settings.connections} connections` },
    ];
    const problems: string[] = [];
    const measurements: Measurement[] = [];
    let floorEndpoint: FloorEndpoint | undefined;
    const children: ChildHandle[] = [];
    const profileDirs = new Map<TargetId, string>(settings.profileDir ? TARGETS.map((target) => [target.id, join(settings.profileDir!, 'dashboard', target.id)]) : []);
    try {
      // Stopped in reverse order of start: the stack last, as it removes the Redis keys the gateway still holds a connection to.
      const start = async (module: URL, options?: Parameters<typeof startChild>[1]) => {
        const child = await startChild(module, options);
        children.unshift(child);
        return child;
      };
      const stack = await start(STACK_PROCESS, { startTimeoutMs: 120_000 });
      console.error(`dashboard: seeding ${CASES} open cases`);
      const setup = await stack.request<StackSetup>('seed', { windowId: WINDOW_ID, cases: CASES, callers: CALLERS }, 180_000);
      // Production mode as deployed: graphql-js and Apollo skip their development-time checks.
      const front = (id: TargetId) => ({
        env: { ...process.env, NODE_ENV: 'production' },
        nodeFlags: profileDirs.has(id) ? ['--cpu-prof', `--cpu-prof-dir=${profileDirs.get(id)}`] : [],
      });
      const gatewayProcess = await start(GATEWAY_PROCESS, front('gateway'));
      const floorProcess = await start(FLOOR_PROCESS, front('floor'));
      const loader = await start(LOAD_PROCESS);
      const gateway = await startGatewayOver(gatewayProcess, setup);
      floorEndpoint = await floorProcess.request<FloorEndpoint>('start', {
        supergraphSdl: setup.supergraphSdl,
        subgraphUrls: setup.subgraphUrls,
        query: DASHBOARD_QUERY,
        variables: { first: CASES },
        authorization: `Bearer ${setup.tokens[0]}`,
        signingKey: setup.signingKey,
        subgraphTimeoutMs: SUBGRAPH_TIMEOUT_MS,
      } satisfies FloorInput);

      const targets: Target[] = [];
      try {
        targets.push({ id: 'gateway', url: gateway.url, expectBody: await verifyGateway(gateway, floorEndpoint, setup), process: gatewayProcess });
      } catch (error) {
        problems.push(`gateway not measured: ${error instanceof Error ? error.message : String(error)}`);
      }
      targets.push({ id: 'floor', url: floorEndpoint.url, expectBody: await verifyFloor(floorEndpoint, setup.tokens), process: floorProcess });

      const spec = (target: Target, connections: number, durationSec: number): LoadSpec => ({
        url: target.url,
        headers: {},
        body: dashboardBody(CASES),
        connections,
        durationSec,
        expectBody: target.expectBody,
        tokens: setup.tokens,
        latencies: true,
      });
      const slices = sliceCount(settings.measureSec);
      for (let round = 1; round <= settings.rounds; round++) {
        for (const target of rotate(targets, round - 1)) {
          console.error(`dashboard: round ${round}/${settings.rounds}, warming up ${TARGETS.find((t) => t.id === target.id)!.label}`);
          await runLoad(loader, spec(target, settings.connections, settings.warmUpSec));
        }
        for (const level of levels) {
          console.error(`dashboard: round ${round}/${settings.rounds}, ${level.label}, ${slices} slice(s) per target`);
          const pooled = new Map(targets.map((target) => [target.id, { loads: [] as LoadResult[], front: 0, stack: 0 }]));
          for (let slice = 0; slice < slices; slice++) {
            for (const target of rotate(targets, round - 1 + slice)) {
              await idle(target.process);
              const before = await Promise.all([target.process.request<NodeJS.CpuUsage>('cpuUsage'), stack.request<NodeJS.CpuUsage>('cpuUsage')]);
              const load = await runLoad(loader, spec(target, level.connections, settings.measureSec / slices));
              const after = await Promise.all([target.process.request<NodeJS.CpuUsage>('cpuUsage'), stack.request<NodeJS.CpuUsage>('cpuUsage')]);
              const sum = pooled.get(target.id)!;
              sum.loads.push(load);
              sum.front += cpuMs(after[0], before[0]);
              sum.stack += cpuMs(after[1], before[1]);
            }
          }
          for (const [target, sum] of pooled) {
            measurements.push({ target, level: level.id, round, load: poolLoads(sum.loads), cpuMs: { front: sum.front, stack: sum.stack } });
          }
        }
      }
    } catch (error) {
      problems.push(`not measured: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      for (const child of children) await child.stop();
    }
    const profiles = new Map<TargetId, string>();
    for (const [id, dir] of profileDirs) {
      try {
        profiles.set(id, newestProfile(dir));
      } catch (error) {
        problems.push(`no CPU profile of ${id}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    for (const m of measurements) {
      if (m.load.errors) problems.push(`${m.target} answered ${m.load.errors} of ${m.load.requests} requests wrongly or not at all (round ${m.round}, ${m.level})`);
    }
    return renderDashboardReport({
      settings,
      levels,
      cases: CASES,
      callers: CALLERS,
      plan: floorEndpoint?.plan,
      fetchesPerRequest: floorEndpoint?.fetches,
      slices: sliceCount(settings.measureSec),
      measurements,
      problems,
      profiles,
    });
  },
};

/** tongban's gateway in `gatewayProcess`, over the seeded stack's subgraphs, verifying its callers' tokens as in production. */
export function startGatewayOver(gatewayProcess: ChildHandle, setup: StackSetup): Promise<GatewayEndpoint> {
  return gatewayProcess.request<GatewayEndpoint>('start', {
    supergraphSdl: setup.supergraphSdl,
    subgraphUrls: setup.subgraphUrls,
    auth: setup.auth,
    signingKey: setup.signingKey,
    redis: setup.redis,
    subgraphTimeoutMs: SUBGRAPH_TIMEOUT_MS,
  } satisfies GatewayInput);
}

/**
 * How many slices a load's measured time is cut into. The targets take turns
 * slice by slice, so that a change in what else this machine runs, which over a
 * whole block moved either target's latency by half, falls on both alike. A
 * slice is at least 4 s: at 50 connections a request waits about half a second,
 * and each slice starts with no queue.
 */
function sliceCount(measureSec: number): number {
  return Math.max(1, Math.floor(measureSec / 4));
}

/** The slices of one target as one run: counts added up, percentiles over every latency of every slice. */
export function poolLoads(loads: LoadResult[]): LoadResult {
  const latencies = loads.flatMap((load) => load.latenciesMs ?? []).sort((a, b) => a - b);
  const requests = loads.reduce((sum, load) => sum + load.requests, 0);
  const durationSec = loads.reduce((sum, load) => sum + load.durationSec, 0);
  return {
    requests,
    durationSec,
    requestsPerSec: requests / durationSec,
    latencyP50Ms: percentile(latencies, 0.5),
    latencyP99Ms: percentile(latencies, 0.99),
    errors: loads.reduce((sum, load) => sum + load.errors, 0),
  };
}

/** Nearest rank: the smallest latency that at least `share` of all are at or below. */
function percentile(sorted: number[], share: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}

export function runLoad(loader: ChildHandle, spec: LoadSpec): Promise<LoadResult> {
  return loader.request<LoadResult>('run', spec, (spec.durationSec + 60) * 1000);
}

/**
 * The gateway must answer every seeded case as expected, with the fetches the floor
 * replays (by its own count on /metrics), and the same bytes to two callers: those
 * bytes are then what every answer under load is compared with.
 */
async function verifyGateway(gateway: GatewayEndpoint, floor: FloorEndpoint, setup: StackSetup): Promise<string> {
  const before = await subgraphFetchCounts(gateway.metricsUrl);
  const body = await post(gateway.url, setup.tokens[1]!);
  const fetches = fetchesBetween(before, await subgraphFetchCounts(gateway.metricsUrl));
  const difference = dashboardDifference(JSON.parse(body), setup.expected);
  if (difference) throw new Error(`wrong answer to the dashboard: ${difference}`);
  const floorFetches = Object.fromEntries(Object.entries(floor.fetches).map(([subgraph, n]) => [`${subgraph} ok`, n]));
  if (!sameCounts(fetches, floorFetches)) {
    throw new Error(`the gateway made the fetches ${JSON.stringify(fetches)} per request, the floor replays ${JSON.stringify(floorFetches)}`);
  }
  if ((await post(gateway.url, setup.tokens[2]!)) !== body) throw new Error('the gateway answered two callers of the same window with different bytes');
  return body;
}

async function verifyFloor(floor: FloorEndpoint, tokens: string[]): Promise<string> {
  const body = await post(floor.url, tokens[3]!);
  if (body !== floor.answer) throw new Error(`the floor answered ${body.slice(0, 500)}`);
  return body;
}

export async function post(url: string, token: string): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: dashboardBody(CASES),
    signal: AbortSignal.timeout(30_000),
  });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${url} answered HTTP ${response.status}: ${body.slice(0, 1000)}`);
  return body;
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => a[key] === b[key]);
}
