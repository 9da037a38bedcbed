import { join } from 'node:path';
import { loadConfig } from '../../lib/config.js';
import { startChild, type ChildHandle } from '../child.ipc.js';
import { cpuMs, idle, rotate } from '../measurement.kit.js';
import { newestProfile } from '../profile/cpu-profile.summary.js';
import { AutocannonRunner } from '../load/autocannon.runner.js';
import type { LoadResult } from '../load/load.types.js';
import type { BenchSettings, Scenario } from '../scenario.types.js';
import { renderFederationReport, type Measurement, type Verified } from './federation.report.js';
import { expectedResponse, REQUEST_BODY } from './federation.query.js';
import { TARGETS, type TargetId, type TargetInfo, type TargetInput } from './gateway.target.js';
import { composeSupergraph } from './supergraph.compose.js';

const GATEWAY_PROCESS = new URL('./gateway.process.ts', import.meta.url);
const SUBGRAPHS_PROCESS = new URL('./subgraphs.process.ts', import.meta.url);

/**
 * The public federation benchmark against every target in turn, never two at once:
 * the same subgraphs process, the same composed supergraph and the same load for all.
 * Each target gets a fresh process per round, is checked for the exact expected answer
 * before any load, warmed up, then measured; the order of targets rotates from round
 * to round so that drift in background load does not always hit the same one.
 */
export const federationScenario: Scenario = {
  id: 'federation',
  async run(settings) {
    const subgraphs = await startChild(SUBGRAPHS_PROCESS);
    let loader: AutocannonRunner | undefined;
    try {
      const subgraphUrls = await subgraphs.request<Record<string, string>>('urls');
      const input: TargetInput = { supergraphSdl: composeSupergraph(subgraphUrls), subgraphUrls, redisUrl: loadConfig().redis.url };
      loader = await AutocannonRunner.start();
      const verified = new Map<TargetId, Verified>();
      const failures = new Map<TargetId, string>();
      const measurements: Measurement[] = [];
      const profiles = new Map<TargetId, string>();

      for (let round = 1; round <= settings.rounds; round++) {
        for (const target of rotate(TARGETS, round - 1)) {
          if (failures.has(target.id)) continue;
          console.error(`federation: round ${round}/${settings.rounds}, ${target.label}`);
          const profileDir = settings.profileDir ? join(settings.profileDir, target.id) : undefined;
          try {
            const gateway = await startChild(GATEWAY_PROCESS, {
              env: { ...process.env, NODE_ENV: 'production' },
              nodeFlags: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
            });
            try {
              const endpoint = await gateway.request<Endpoint>('start', { target: target.id, input });
              const answer = await verify(target, endpoint);
              verified.set(target.id, answer);
              measurements.push({ target: target.id, round, ...(await measure(settings, endpoint, answer.body, gateway, subgraphs, loader)) });
            } finally {
              await gateway.stop();
            }
            if (profileDir) profiles.set(target.id, newestProfile(profileDir));
          } catch (error) {
            // One target failing must not hide the others' figures; the report names it and the run exits non-zero.
            const reason = error instanceof Error ? error.message : String(error);
            console.error(`federation: ${target.label} FAILED: ${reason}`);
            failures.set(target.id, reason);
          }
        }
      }
      return renderFederationReport({ settings, verified, failures, measurements, profiles });
    } finally {
      await loader?.stop();
      await subgraphs.stop();
    }
  },
};

interface Endpoint {
  url: string;
  headers: Record<string, string>;
}

async function measure(
  settings: BenchSettings,
  endpoint: Endpoint,
  expectBody: string,
  gateway: ChildHandle,
  subgraphs: ChildHandle,
  loader: AutocannonRunner,
): Promise<{ load: LoadResult; cpuMs: Measurement['cpuMs'] }> {
  const spec = { ...endpoint, body: REQUEST_BODY, connections: settings.connections, expectBody };
  await loader.run({ ...spec, durationSec: settings.warmUpSec });
  await idle(gateway);
  const before = await Promise.all([gateway.request<NodeJS.CpuUsage>('cpuUsage'), subgraphs.request<NodeJS.CpuUsage>('cpuUsage'), loader.cpuUsage()]);
  const load = await loader.run({ ...spec, durationSec: settings.measureSec });
  const after = await Promise.all([gateway.request<NodeJS.CpuUsage>('cpuUsage'), subgraphs.request<NodeJS.CpuUsage>('cpuUsage'), loader.cpuUsage()]);
  const [gatewayMs, subgraphsMs, loaderMs] = after.map((usage, i) => cpuMs(usage, before[i]!));
  return { load, cpuMs: { gateway: gatewayMs!, subgraphs: subgraphsMs!, loader: loaderMs! } };
}

/**
 * The target must give the expected answer, and the same bytes twice: the load then
 * compares every response with those bytes, so a wrong answer under load is an error.
 */
async function verify(target: TargetInfo, endpoint: Endpoint): Promise<Verified> {
  const expected = expectedResponse();
  const body = await post(target, endpoint);
  const difference = firstDifference(JSON.parse(body), expected, '');
  if (difference !== undefined) {
    throw new Error(`${target.label} answered the benchmark query wrongly, first at ${difference || 'the root'}:\n${body.slice(0, 2000)}`);
  }
  if ((await post(target, endpoint)) !== body) throw new Error(`${target.label} answered the same query with different bytes`);
  return { body };
}

async function post(target: TargetInfo, endpoint: Endpoint): Promise<string> {
  const response = await fetch(endpoint.url, {
    method: 'POST',
    headers: { ...endpoint.headers, 'content-type': 'application/json' },
    body: REQUEST_BODY,
    signal: AbortSignal.timeout(30_000),
  });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${target.label} answered HTTP ${response.status}: ${body.slice(0, 2000)}`);
  return body;
}

/** Where two JSON values first differ, including the order of object keys (GraphQL answers in query order). */
function firstDifference(actual: unknown, expected: unknown, path: string): string | undefined {
  if (typeof expected !== 'object' || expected === null) return Object.is(actual, expected) ? undefined : path;
  if (typeof actual !== 'object' || actual === null || Array.isArray(actual) !== Array.isArray(expected)) return path;
  const actualKeys = Object.keys(actual);
  const expectedKeys = Object.keys(expected);
  if (actualKeys.join() !== expectedKeys.join()) return `${path} (keys ${actualKeys.join(',')} instead of ${expectedKeys.join(',')})`;
  for (const key of expectedKeys) {
    const found = firstDifference((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${path}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}
