import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** One redis-server of the cluster. */
export interface ClusterNode {
  port: number;
  /** `127.0.0.1:port`, as CLUSTER NODES and ioredis name it. */
  address: string;
  /** False once killed. */
  running: boolean;
}

export interface RedisClusterHarness {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,…`: what REDIS_URL takes for a cluster. */
  url: string;
  nodes: ClusterNode[];
  /** The nodes serving slots now, each with the slot ranges it owns. */
  masters(): Promise<{ node: ClusterNode; slots: [number, number][] }[]>;
  /** The master whose shard holds most keys (DBSIZE), for a kill that hurts. */
  busiestMaster(): Promise<ClusterNode>;
  /**
   * SIGKILLs `master` and waits until one of its replicas owns its slots and
   * every surviving node reports cluster_state:ok. Resolves with the promoted node.
   */
  killMaster(master: ClusterNode, timeoutMs?: number): Promise<ClusterNode>;
  stop(): Promise<void>;
}

export class RedisClusterStartError extends Error {
  readonly code = 'TEST.REDIS_CLUSTER_START';
}

// The cluster bus listens on port + 10000. Both ports stay below the kernel's ephemeral range
// (32768–60999), so an outgoing connection never takes one between the choice and the listen.
const PORTS = { from: 20_000, to: 22_767 };
const BUS_OFFSET = 10_000;

function listensOn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function clusterPorts(count: number): Promise<number[]> {
  const chosen: number[] = [];
  for (let attempt = 0; attempt < 500 && chosen.length < count; attempt++) {
    const port = PORTS.from + Math.floor(Math.random() * (PORTS.to - PORTS.from + 1));
    if (chosen.includes(port)) continue;
    if ((await listensOn(port)) && (await listensOn(port + BUS_OFFSET))) chosen.push(port);
  }
  if (chosen.length < count) throw new RedisClusterStartError(`no ${count} free port pairs in ${PORTS.from}–${PORTS.to}`);
  return chosen;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function ask(port: number, ...command: string[]): Promise<string> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return String(await redis.call(command[0]!, ...command.slice(1)));
  } finally {
    redis.disconnect();
  }
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new RedisClusterStartError(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** CLUSTER SHARDS is 7.0+; CLUSTER NODES has what we need on every version. */
function parseClusterNodes(text: string): { address: string; master: boolean; failed: boolean; slots: [number, number][] }[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [, address, flags, , , , , state, ...slots] = line.split(' ');
      return {
        address: address!.split('@')[0]!,
        master: flags!.split(',').includes('master'),
        failed: flags!.includes('fail') || state !== 'connected',
        slots: slots
          .filter((range) => !range.startsWith('['))
          .map((range) => {
            const [from, to = from] = range.split('-');
            return [Number(from), Number(to)] as [number, number];
          }),
      };
    });
}

function spawnNode(port: number, dir: string): ChildProcess {
  const nodeDir = join(dir, String(port));
  mkdirSync(nodeDir);
  // Durable as production requires (lib/redis.ts checkDurability): AOF fsynced on every write, nothing evicted.
  return spawn(
    'redis-server',
    [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', nodeDir,
      '--cluster-enabled', 'yes',
      '--cluster-config-file', 'nodes.conf',
      '--cluster-node-timeout', '2000',
      '--appendonly', 'yes',
      '--appendfsync', 'always',
      '--save', '',
      '--maxmemory-policy', 'noeviction',
      // DEBUG SLEEP stands in for a replica that lags (test/integration/redis-cluster.test.ts).
      '--enable-debug-command', 'local',
    ],
    { stdio: 'ignore' },
  );
}

function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  return exited;
}

/**
 * A real Redis Cluster of `masters` shards with one replica each (default 3 + 3)
 * on loopback ports, in a temporary directory that `stop()` removes.
 */
export async function startRedisCluster(options: { masters?: number } = {}): Promise<RedisClusterHarness> {
  const count = (options.masters ?? 3) * 2;
  const dir = mkdtempSync(join(tmpdir(), 'tongban-cluster-'));
  const ports = await clusterPorts(count);
  const processes = new Map<number, ChildProcess>();
  const nodes: ClusterNode[] = ports.map((port) => ({ port, address: `127.0.0.1:${port}`, running: true }));

  // A test process that exits without its teardown (a failed setup, process.exit) must not leave six servers behind.
  const killLeftovers = () => {
    for (const child of processes.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killLeftovers);
  const stop = async () => {
    process.off('exit', killLeftovers);
    await Promise.all([...processes.values()].map((child) => stopProcess(child, 'SIGTERM')));
    for (const node of nodes) node.running = false;
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (const port of ports) processes.set(port, spawnNode(port, dir));
    await Promise.all(ports.map((port) => waitFor(`redis-server on ${port}`, async () => (await ask(port, 'PING')) === 'PONG', 10_000)));
    const created = await runCli(['--cluster', 'create', ...nodes.map((node) => node.address), '--cluster-replicas', '1', '--cluster-yes']);
    if (created.code !== 0) throw new RedisClusterStartError(`redis-cli --cluster create failed:\n${created.output}`);
    await waitForHealthy(nodes, 30_000);
  } catch (error) {
    await stop();
    throw error;
  }

  const nodeAt = (address: string) => nodes.find((node) => node.address === address);

  const masters = async () => {
    const alive = nodes.find((node) => node.running)!;
    return parseClusterNodes(await ask(alive.port, 'CLUSTER', 'NODES'))
      .filter((entry) => entry.master && !entry.failed && entry.slots.length > 0)
      .flatMap((entry) => {
        const node = nodeAt(entry.address);
        return node ? [{ node, slots: entry.slots }] : [];
      });
  };

  return {
    url: `redis+cluster://${nodes.map((node) => node.address).join(',')}`,
    nodes,
    masters,
    async busiestMaster() {
      const sized = await Promise.all((await masters()).map(async ({ node }) => ({ node, keys: Number(await ask(node.port, 'DBSIZE')) })));
      return sized.sort((a, b) => b.keys - a.keys)[0]!.node;
    },
    async killMaster(master, timeoutMs = 30_000) {
      const before = (await masters()).find((entry) => entry.node === master);
      if (!before) throw new RedisClusterStartError(`${master.address} is not a master serving slots`);
      await stopProcess(processes.get(master.port)!, 'SIGKILL');
      master.running = false;
      let promoted: ClusterNode | undefined;
      await waitFor(
        `a replica of ${master.address} promoted`,
        async () => {
          const [firstSlot] = before.slots[0]!;
          promoted = (await masters()).find((entry) => entry.node !== master && entry.slots.some(([from, to]) => from <= firstSlot && firstSlot <= to))?.node;
          return promoted !== undefined;
        },
        timeoutMs,
      );
      await waitForHealthy(nodes, timeoutMs);
      return promoted!;
    },
    stop,
  };
}

async function waitForHealthy(nodes: ClusterNode[], timeoutMs: number): Promise<void> {
  await Promise.all(
    nodes
      .filter((node) => node.running)
      .map((node) =>
        waitFor(
          `cluster_state:ok on ${node.address}`,
          async () => {
            if (!(await ask(node.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
            // A replica that never finished its first sync cannot take over: a kill right after start found none promoted.
            const replication = await ask(node.port, 'INFO', 'replication');
            return !replication.includes('role:slave') || replication.includes('master_link_status:up');
          },
          timeoutMs,
        ),
      ),
  );
}
