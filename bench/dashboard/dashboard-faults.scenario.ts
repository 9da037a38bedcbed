import { startChild, type ChildHandle } from '../child.ipc.js';
import type { LoadResult, LoadSpec } from '../load/load.types.js';
import type { Scenario } from '../scenario.types.js';
import { dashboardBody, dashboardDifference } from './dashboard.query.js';
import { CALLERS, CASES, poolLoads, post, runLoad, startGatewayOver, WINDOW_ID } from './dashboard.scenario.js';
import type { StackSetup } from './stack.process.js';

const STACK_PROCESS = new URL('./stack.process.ts', import.meta.url);
const GATEWAY_PROCESS = new URL('./gateway.process.ts', import.meta.url);
const LOAD_PROCESS = new URL('../load/autocannon.process.ts', import.meta.url);

/** The platform's answer time the issue names (#20, item 5). */
const SLOW_PLATFORM_MS = 2000;
/**
 * Short, so that items expire many times within a measurement (as they do every
 * 5 minutes in production); longer than the slow platform takes, as production's is.
 */
const CATALOG_MAX_AGE_MS = 3000;
const CONNECTIONS = 10;
const SLICE_SEC = 4;

type Condition = 'healthy' | 'slow';

/**
 * The window dashboard through tongban's gateway while the 四川 platform answers
 * every call in 2 s, against the same with the platform healthy, in alternating
 * slices on one stack: its latency must stay within 1.5× (issue #20, item 5),
 * and its answer the same bytes.
 */
export const dashboardFaultsScenario: Scenario = {
  id: 'dashboard-faults',
  async run(settings) {
    const problems: string[] = [];
    const children: ChildHandle[] = [];
    const pooled: Record<Condition, LoadResult[]> = { healthy: [], slow: [] };
    let setFaults: ((faults: object | null) => Promise<void>) | undefined;
    try {
      const start = async (module: URL, options?: Parameters<typeof startChild>[1]) => {
        const child = await startChild(module, options);
        children.unshift(child);
        return child;
      };
      const stack = await start(STACK_PROCESS, { startTimeoutMs: 120_000, env: { ...process.env, CATALOG_CACHE_MAX_AGE_MS: String(CATALOG_MAX_AGE_MS) } });
      const setup = await stack.request<StackSetup>('seed', { windowId: WINDOW_ID, cases: CASES, callers: CALLERS }, 180_000);
      setFaults = async (faults) => {
        const response = await fetch(`${setup.sichuanSandboxUrl}/__faults`, {
          method: faults ? 'PUT' : 'DELETE',
          headers: { 'content-type': 'application/json' },
          ...(faults ? { body: JSON.stringify(faults) } : {}),
        });
        if (!response.ok) throw new Error(`the 四川 sandbox refused the faults: HTTP ${response.status} ${await response.text()}`);
      };
      const gatewayProcess = await start(GATEWAY_PROCESS, { env: { ...process.env, NODE_ENV: 'production' } });
      const loader = await start(LOAD_PROCESS);
      const gateway = await startGatewayOver(gatewayProcess, setup);
      const body = await post(gateway.url, setup.tokens[0]!);
      const difference = dashboardDifference(JSON.parse(body), setup.expected);
      if (difference) throw new Error(`wrong answer to the dashboard: ${difference}`);
      const spec = (durationSec: number): LoadSpec => ({
        url: gateway.url,
        headers: {},
        body: dashboardBody(CASES),
        connections: CONNECTIONS,
        durationSec,
        // Slow or not, every answer must be the healthy one, byte for byte.
        expectBody: body,
        tokens: setup.tokens,
        latencies: true,
      });
      console.error('dashboard-faults: warming up');
      await runLoad(loader, spec(settings.warmUpSec));
      const slices = Math.max(2, Math.floor((settings.measureSec * settings.rounds) / SLICE_SEC));
      for (let slice = 0; slice < slices; slice++) {
        for (const condition of (slice % 2 ? ['slow', 'healthy'] : ['healthy', 'slow']) as Condition[]) {
          await setFaults(condition === 'slow' ? { latencyMs: SLOW_PLATFORM_MS } : null);
          pooled[condition].push(await runLoad(loader, spec(SLICE_SEC)));
        }
      }
    } catch (error) {
      problems.push(`not measured: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await setFaults?.(null).catch(() => undefined);
      for (const child of children) await child.stop();
    }
    const healthy = pooled.healthy.length ? poolLoads(pooled.healthy) : undefined;
    const slow = pooled.slow.length ? poolLoads(pooled.slow) : undefined;
    const ratio = healthy && slow ? slow.latencyP99Ms / healthy.latencyP99Ms : Number.NaN;
    for (const [condition, load] of [['healthy', healthy], ['slow', slow]] as const) {
      if (load?.errors) problems.push(`${condition}: ${load.errors} of ${load.requests} answers wrong or missing`);
    }
    if (!(ratio <= 1.5)) problems.push(`dashboard p99 with 四川 at ${SLOW_PLATFORM_MS} ms is ${ratio.toFixed(2)}× its healthy p99, over 1.5×`);
    const row = (label: string, load: LoadResult | undefined) =>
      load ? `| ${label} | ${load.requests} | ${load.requestsPerSec.toFixed(0)} | ${load.latencyP50Ms.toFixed(1)} ms | ${load.latencyP99Ms.toFixed(1)} ms | ${load.errors} |` : `| ${label} | not measured | | | | |`;
    return {
      markdown: [
        '## Dashboard with a slow platform',
        '',
        `\`bench/dashboard/dashboard-faults.scenario.ts\`: the window dashboard (${CASES} open cases, items of both regions) through tongban's gateway, ${CONNECTIONS} connections, each request the next of ${CALLERS} callers, while the 四川 sandbox answers every call in ${SLOW_PLATFORM_MS} ms (\`/__faults\` \`latencyMs\`), against the same with it healthy, in alternating ${SLICE_SEC} s slices on one stack. \`CATALOG_CACHE_MAX_AGE_MS\` is ${CATALOG_MAX_AGE_MS} ms, so items expire several times a slice (in production, every 5 minutes). Every answer, slow or healthy, must be the healthy answer byte for byte: an expired item is served while one call fetches it again.`,
        '',
        '| 四川 platform | requests | req/s | p50 | p99 | wrong or missing |',
        '|---|---:|---:|---:|---:|---:|',
        row('healthy', healthy),
        row(`answering in ${SLOW_PLATFORM_MS} ms`, slow),
        '',
        `p99 slow / healthy: ${Number.isNaN(ratio) ? 'not measured' : `${ratio.toFixed(2)}×`} (goal ≤ 1.5×).`,
      ].join('\n'),
      summary: [`dashboard p99 with 四川 at ${SLOW_PLATFORM_MS} ms: ${slow?.latencyP99Ms.toFixed(1)} ms, healthy ${healthy?.latencyP99Ms.toFixed(1)} ms (${ratio.toFixed(2)}×)`],
      problems,
    };
  },
};
