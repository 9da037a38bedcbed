import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SUBGRAPH_NAMES } from '../../lib/config.js';
import type { Caller } from '../../lib/auth/caller.js';
import { staffAt, startTestStack, type TestStack } from './stack.js';
import { application, OFFICE_HOURS, platformCaseCounts, ROUTES, sleep, startServiceProcess, type ServiceProcess } from './process.kit.js';
import { scanMaterials } from './scans.kit.js';

/**
 * Many cases through the whole 通办 flow at once, through a gateway running as
 * its own process (so its memory is its own), over the in-process subgraphs,
 * workers and sandboxes: receipt, dispatch, forwarding by the transfer jobs,
 * the platforms' stage pushes up to the decision, the result sent back, handed
 * over. Then a soak of steady dashboard reads and receipts while the gateway's
 * resident memory is sampled. Shared by test/chaos/load.test.ts (a reduced run)
 * and `npm run soak` (the full one, figures in RELIABILITY.md).
 */
export interface LoadOptions {
  cases: number;
  /** Cases in flight at once. */
  concurrency: number;
  soakMs: number;
  sampleEveryMs: number;
  /** Progress lines on stderr, for the long run. */
  log?: (line: string) => void;
}

export interface LoadFigures {
  cases: number;
  concurrency: number;
  flowSeconds: number;
  casesPerSecond: number;
  gatewayRequests: number;
  /** Steps that timed out or met an unavailable subgraph and were sent again, as a console does. */
  retriedSteps: number;
  http5xx: number;
  graphqlErrors: string[];
  delivered: number;
  notDelivered: string[];
  duplicatePlatformCases: number;
  missingPlatformCases: number;
  duplicateEvents: number;
  soak: { seconds: number; requests: number; http5xx: number; graphqlErrors: number; rssMiB: number[]; rssStartMiB: number; rssEndMiB: number; rssMaxMiB: number };
  gatewayRssAfterFlowMiB: number;
}

const RECEIVE = 'mutation ($input: ReceiveApplicationInput!) { receiveApplication(input: $input) { businessNo } }';
const DASHBOARD =
  '{ cases(first: 50) { totalCount edges { node { businessNo stage item { name department } receivingWindow { name } jurisdictionWindow { name } clock { status remainingWorkingDays } } } } }';
const step = (mutation: string) => `mutation ($no: ID!) { ${mutation}(businessNo: $no) { stage } }`;

export async function runLoad(options: LoadOptions): Promise<LoadFigures> {
  const log = options.log ?? (() => undefined);
  const stack = await startTestStack({ now: () => OFFICE_HOURS, env: { MUTATIONS_PER_MINUTE: '10000000' } });
  let gateway: ServiceProcess | undefined;
  try {
    gateway = startServiceProcess('gateway/main.ts', {
      FILES_DIR: stack.filesDir,
      REDIS_URL: stack.redisUrl,
      REDIS_KEY_PREFIX: stack.prefix,
      GATEWAY_PORT: '0',
      LOG_LEVEL: 'info',
      MUTATIONS_PER_MINUTE: '10000000',
      ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, stack.gateway.subgraphs[name]!])),
    });
    const url = (JSON.parse(await gateway.waitForLog(/gateway listening/, 60_000)) as { url: string }).url.replace(/\/graphql$/, '');
    const client = new GatewayClient(url, stack);
    const pid = gateway.child.pid!;

    const started = performance.now();
    const flow = await runFlow(stack, client, options, log);
    const flowSeconds = (performance.now() - started) / 1000;
    const gatewayRssAfterFlowMiB = rssOf(pid);
    const verdict = await verify(stack, flow.businessNos);
    log(`flow: ${options.cases} cases in ${flowSeconds.toFixed(1)} s; gateway RSS ${gatewayRssAfterFlowMiB} MiB`);

    const soak = await runSoak(stack, client, pid, options, log);
    return {
      cases: options.cases,
      concurrency: options.concurrency,
      flowSeconds: round(flowSeconds),
      casesPerSecond: round(options.cases / flowSeconds),
      gatewayRequests: flow.requests,
      retriedSteps: flow.retried,
      http5xx: flow.http5xx,
      graphqlErrors: flow.errors.slice(0, 20),
      ...verdict,
      soak,
      gatewayRssAfterFlowMiB,
    };
  } finally {
    await gateway?.stop('SIGTERM');
    await stack.close();
  }
}

const TRANSIENT = new Set(['SUBGRAPH.TIMEOUT', 'SUBGRAPH.UNAVAILABLE']);

/** The front ends' view: one endpoint, a token per caller, every answer checked for status and errors. */
class GatewayClient {
  requests = 0;
  http5xx = 0;
  retried = 0;
  readonly errors: string[] = [];
  private readonly tokens = new Map<string, Promise<string>>();

  constructor(
    private readonly url: string,
    private readonly stack: TestStack,
  ) {}

  /**
   * One step of a console. A step that timed out or met an unavailable subgraph
   * may still have been done: `done` says whether it was (a receipt carries its
   * request key, so sending it again returns the first case), else it is sent again.
   */
  async call<T>(caller: Caller, query: string, variables?: Record<string, unknown>, done?: () => Promise<boolean>): Promise<T | null> {
    for (let attempt = 1; ; attempt++) {
      const { data, errors } = await this.send<T>(caller, query, variables);
      const codes = errors.map((error) => error.extensions?.code ?? '');
      if (errors.length === 0) return data;
      if (attempt < 5 && codes.every((code) => TRANSIENT.has(code))) {
        this.retried++;
        await sleep(500 * attempt);
        if (done && (await done())) return null;
        continue;
      }
      this.errors.push(errors.map((error) => `${error.extensions?.code}: ${error.message}`).join('; '));
      return null;
    }
  }

  private async send<T>(caller: Caller, query: string, variables?: Record<string, unknown>) {
    let token = this.tokens.get(caller.subject);
    if (!token) this.tokens.set(caller.subject, (token = this.stack.token(caller)));
    this.requests++;
    const response = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await token}` },
      body: JSON.stringify({ query, variables }),
    });
    if (response.status >= 500) this.http5xx++;
    const body = (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    return { data: body.data ?? null, errors: body.errors ?? [] };
  }
}

async function runFlow(stack: TestStack, client: GatewayClient, options: LoadOptions, log: (line: string) => void) {
  const businessNos: string[] = [];
  const runId = randomUUID().slice(0, 8);
  const journeys = Array.from({ length: options.cases }, (_, i) => ROUTES[i % ROUTES.length]!);
  const jurisdictionOf = (windowId: string) => (windowId === 'W-500000-01' ? 'W-510000-01' : 'W-500000-01');

  // The platforms move every open case one stage per tick, as their back offices would, and push each change.
  let platformsRunning = true;
  const platforms = (async () => {
    while (platformsRunning) {
      stack.yukuaiban.advance();
      await stack.sichuan.advance();
      await sleep(200);
    }
  })();

  let next = 0;
  let finished = 0;
  const journey = async () => {
    for (let i = next++; i < journeys.length; i = next++) {
      const route = journeys[i]!;
      const receiving = staffAt(route.windowId);
      const receipt = await client.call<{ receiveApplication: { businessNo: string } }>(receiving, RECEIVE, {
        input: { ...application(route.item, route.windowId, `负载-${i}`), requestKey: `load-${runId}-${i}` },
      });
      const no = receipt?.receiveApplication.businessNo;
      if (!no) continue;
      businessNos.push(no);
      await scanMaterials(stack, no);
      const reached = (...stages: string[]) => async () => stages.includes((await stack.store.get(no))?.stage ?? '');
      await client.call(receiving, 'mutation ($no: ID!) { dispatchMaterials(businessNo: $no, channel: ONLINE) { stage } }', { no }, async () => (await stack.store.get(no))?.stage !== 'RECEIVED');
      await waitForStage(stack, no, ['DECIDED'], 600_000);
      const afterResult = ['RESULT_DISPATCHED', 'AWAITING_PICKUP', 'DELIVERED'];
      await client.call(staffAt(jurisdictionOf(route.windowId)), 'mutation ($no: ID!) { recordResultDispatched(businessNo: $no, delivery: { method: PICKUP }) { stage } }', { no }, reached(...afterResult));
      await client.call(receiving, step('recordResultAtWindow'), { no }, reached('AWAITING_PICKUP', 'DELIVERED'));
      await client.call(receiving, step('notifyApplicantForPickup'), { no }, async () => Boolean((await stack.store.get(no))?.result?.applicantNotifiedAt));
      await client.call(receiving, step('recordDelivered'), { no }, reached('DELIVERED'));
      if (++finished % 500 === 0) log(`flow: ${finished}/${options.cases} delivered`);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, journey));
  } finally {
    platformsRunning = false;
    await platforms;
  }
  return { businessNos, requests: client.requests, retried: client.retried, http5xx: client.http5xx, errors: [...client.errors] };
}

async function waitForStage(stack: TestStack, businessNo: string, stages: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const record = await stack.store.get(businessNo);
    if (record && stages.includes(record.stage)) return;
    await sleep(100);
  }
  throw new Error(`${businessNo} did not reach ${stages.join('/')} within ${timeoutMs} ms`);
}

/** What "nothing lost, nothing twice" means for the run, read from the ledger and the platforms' own records. */
async function verify(stack: TestStack, businessNos: string[]) {
  const notDelivered: string[] = [];
  let delivered = 0;
  let duplicateEvents = 0;
  for (let i = 0; i < businessNos.length; i += 500) {
    const batch = businessNos.slice(i, i + 500);
    const records = await stack.store.getMany(batch);
    for (const [j, record] of records.entries()) {
      if (record?.stage === 'DELIVERED') delivered++;
      else notDelivered.push(`${batch[j]}: ${record?.stage ?? 'missing'}`);
    }
    const timelines = await Promise.all(batch.map((no) => stack.store.events(no)));
    for (const events of timelines) {
      const once = events.filter((event) => event.type === 'FORWARDED_TO_PLATFORM' || event.type === 'RECEIVED');
      const seen = new Set(once.map((event) => event.type));
      duplicateEvents += once.length - seen.size;
    }
  }
  const counts = platformCaseCounts(stack);
  return {
    delivered,
    notDelivered: notDelivered.slice(0, 20),
    duplicatePlatformCases: [...counts.values()].filter((n) => n > 1).length,
    missingPlatformCases: businessNos.filter((no) => !counts.has(no)).length,
    duplicateEvents,
  };
}

async function runSoak(stack: TestStack, client: GatewayClient, pid: number, options: LoadOptions, log: (line: string) => void): Promise<LoadFigures['soak']> {
  const requestsBefore = client.requests;
  const http5xxBefore = client.http5xx;
  const errorsBefore = client.errors.length;
  const rss: number[] = [rssOf(pid)];
  const until = Date.now() + options.soakMs;
  const sampler = setInterval(() => {
    rss.push(rssOf(pid));
    log(`soak: gateway RSS ${rss.at(-1)} MiB after ${Math.round((options.soakMs - (until - Date.now())) / 1000)} s`);
  }, options.sampleEveryMs);
  const windows = ROUTES.map((route) => route.windowId);
  try {
    await Promise.all(
      Array.from({ length: options.concurrency }, async (_, worker) => {
        // Distinct callers, as a hall full of consoles: no two share a token, so nothing is deduplicated.
        for (let n = 0; Date.now() < until; n++) {
          const windowId = windows[(worker + n) % windows.length]!;
          const caller = { ...staffAt(windowId), subject: `soak-${worker}-${n % 50}` };
          if (n % 20 === 19) {
            const route = ROUTES.find((r) => r.windowId === windowId)!;
            await client.call(caller, RECEIVE, { input: application(route.item, windowId, `浸泡-${worker}-${n}`) });
          } else {
            await client.call(caller, DASHBOARD);
          }
        }
      }),
    );
  } finally {
    clearInterval(sampler);
  }
  rss.push(rssOf(pid));
  return {
    seconds: round(options.soakMs / 1000),
    requests: client.requests - requestsBefore,
    http5xx: client.http5xx - http5xxBefore,
    graphqlErrors: client.errors.length - errorsBefore,
    rssMiB: rss,
    rssStartMiB: rss[0]!,
    rssEndMiB: rss.at(-1)!,
    rssMaxMiB: Math.max(...rss),
  };
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  return Math.round(kib / 1024);
}

const round = (value: number) => Math.round(value * 10) / 10;
