/**
 * `npm start`: the whole stack on this machine — platform sandboxes, the five
 * subgraphs, the workers and the gateway — each as its own process, as in
 * production, each restarted with backoff when it crashes. Ctrl-C stops them all
 * (and a Redis it had to start).
 */
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { issueToken } from '../lib/auth/access-token.js';
import type { Caller } from '../lib/auth/caller.js';
import { loadConfig, SUBGRAPH_NAMES } from '../lib/config.js';
import { findOrStartRedis, RedisNotAvailableError, type LocalRedis } from '../lib/local-redis.js';
import { supervise, type SupervisedService } from './service.supervisor.js';

// Built (dist/scripts/start.js, as `npm start` runs it), it starts the services built beside it. From
// source under tsx, the way every start went before dist/ (bench/cold-start.scenario.ts's peer), their sources under tsx.
const fromSource = import.meta.url.endsWith('.ts');
const here = fileURLToPath(new URL('..', import.meta.url));
const root = fromSource ? here : dirname(here);
const serviceArgs = (entry: string) =>
  fromSource ? ['--import', 'tsx', join(root, `${entry}.ts`)] : ['--enable-source-maps', join(here, `${entry}.js`)];
const startedAt = performance.now();
const config = loadConfig();

let redis: LocalRedis;
try {
  redis = await findOrStartRedis(config.redis.url);
} catch (error) {
  if (error instanceof RedisNotAvailableError) {
    console.error(`tongban: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

const services: SupervisedService[] = [];
let stopping = false;

/** Each service runs under a supervisor: a crash is said and the service started again, while the rest keeps serving. */
function run(name: string, entry: string, args: string[] = []): void {
  services.push(
    supervise({
      name,
      command: process.execPath,
      args: [...serviceArgs(entry), ...args],
      cwd: root,
      env: { ...process.env, REDIS_URL: redis.url },
      log: (line) => console.error(line),
    }),
  );
}

async function stop(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all(services.map((service) => service.stop()));
  await redis.stop();
  process.exit(exitCode);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return;
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  console.error(`tongban: ${what} did not come up within ${timeoutMs / 1000} s`);
  await stop(1);
}

const httpOk = (url: string) => async () => {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
};

const tcpOpen = (port: number) => () =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, config.host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const base = (port: number) => `http://${config.host}:${port}`;

const stages: string[] = [];
const stageDone = (what: string) => stages.push(`${what} ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);

run('sandboxes', 'scripts/sandboxes');
await waitFor(tcpOpen(config.platforms.yukuaiban.sandboxPort), '渝快办 sandbox');
await waitFor(tcpOpen(config.platforms.sichuan.sandboxPort), '四川一体化 sandbox');
await waitFor(tcpOpen(config.platforms.courier.sandboxPort), '政务专递 sandbox');
await waitFor(tcpOpen(config.platforms.notify.sandboxPort), 'notification sandbox');
stageDone('sandboxes');

for (const name of SUBGRAPH_NAMES) run(`subgraph ${name}`, 'subgraphs/main', [name]);
for (const name of SUBGRAPH_NAMES) {
  await waitFor(httpOk(`${base(config.subgraphs[name].port)}/health`), `subgraph ${name}`);
}
stageDone('subgraphs');
run('workers', 'jobs/main');
run('gateway', 'gateway/main');
await waitFor(httpOk(`${base(config.gateway.port)}/ready`), 'gateway');
stageDone('gateway ready');

const DEV_CALLERS: Caller[] = [
  { subject: 'dev-window-demo', role: 'WINDOW_STAFF', region: 'CHONGQING', windowId: 'W-500000-24' },
  { subject: 'dev-window-cq', role: 'WINDOW_STAFF', region: 'CHONGQING', windowId: 'W-500000-01' },
  { subject: 'dev-window-sc', role: 'WINDOW_STAFF', region: 'SICHUAN', windowId: 'W-510000-01' },
  { subject: 'dev-jurisdiction-sc', role: 'JURISDICTION_STAFF', region: 'SICHUAN', windowId: 'W-510000-01' },
  { subject: 'dev-jurisdiction-cq', role: 'JURISDICTION_STAFF', region: 'CHONGQING', windowId: 'W-500000-01' },
  { subject: 'dev-supervisor-cq', role: 'SUPERVISOR', region: 'CHONGQING', windowId: null },
  { subject: 'dev-ops', role: 'OPS', region: 'CHONGQING', windowId: null },
  { subject: 'dev-platform-sc', role: 'PLATFORM', region: 'SICHUAN', windowId: null },
];

if (!stopping && config.env !== 'production') {
  console.log('Development tokens (8 h; send as "Authorization: Bearer <token>"):');
  for (const caller of DEV_CALLERS) {
    console.log(`  ${caller.role.padEnd(18)} ${caller.region.padEnd(9)} ${(caller.windowId ?? '-').padEnd(11)} ${await issueToken(config.auth, caller)}`);
  }
}

if (!stopping) {
  console.log(`
tongban is running (Redis: ${redis.url}, ${redis.origin}); up after ${stages.join(', ')}

  GraphQL gateway   ${base(config.gateway.port)}/graphql
  health / ready    ${base(config.gateway.port)}/health  ${base(config.gateway.port)}/ready
${SUBGRAPH_NAMES.map((name) => `  subgraph ${name.padEnd(10)}${base(config.subgraphs[name].port)}/graphql`).join('\n')}
  渝快办 sandbox     ${base(config.platforms.yukuaiban.sandboxPort)}
  四川一体化 sandbox  ${base(config.platforms.sichuan.sandboxPort)}
  政务专递 sandbox    ${base(config.platforms.courier.sandboxPort)}
  SMS/e-mail sandbox ${base(config.platforms.notify.sandboxPort)}
  GraphiQL (dev)     ${base(config.gateway.port)}/graphiql
  queue dashboard    ${base(config.gateway.port)}/ops/login?token=<OPS token>
  metrics            ${base(config.gateway.port)}/metrics

Press Ctrl-C to stop.
`);
}
