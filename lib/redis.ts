import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';
import { parseRedisUrl } from './redis-url.js';

/**
 * A Redis Cluster that answers to the `Redis` type every store is written
 * against. Both run the same commands (ioredis's RedisCommander); what differs
 * is `duplicate`, which on a Cluster takes startup nodes and ClusterOptions —
 * here it also takes a standalone connection's overrides (`{ keyPrefix: '' }`,
 * `{ commandTimeout }`), as the gateway and the queue admin pass them, and keeps
 * the result such a Cluster. Per-node work (SCAN, CONFIG) goes through
 * `masterNodes`, as a Cluster sends a keyless command to one random node.
 */
class TongbanCluster extends Cluster {
  constructor(
    private readonly seeds: ClusterNode[],
    private readonly settings: ClusterOptions,
  ) {
    // No replyMapping is ever set, so the options are the legacy (RESP2) ones Cluster<'legacy'> expects.
    super(seeds, settings as ConstructorParameters<typeof Cluster<'legacy'>>[1]);
  }

  override duplicate(overrides?: ClusterNode[] | RedisOptions, clusterOverrides?: ClusterOptions): ReturnType<Cluster["duplicate"]> {
    if (Array.isArray(overrides) || overrides === undefined) {
      return new TongbanCluster(overrides?.length ? overrides : this.seeds, mergeClusterOptions(this.settings, clusterOverrides ?? {}));
    }
    const { keyPrefix, ...redisOptions } = overrides;
    return new TongbanCluster(this.seeds, mergeClusterOptions(this.settings, { ...(keyPrefix === undefined ? {} : { keyPrefix }), redisOptions }));
  }
}

function mergeClusterOptions(base: ClusterOptions, overrides: ClusterOptions): ClusterOptions {
  return { ...base, ...overrides, redisOptions: { ...base.redisOptions, ...overrides.redisOptions } };
}

/** A Cluster's own connections outside what the `Redis` type says; undefined for a single Redis. */
function asCluster(redis: Redis): Cluster | undefined {
  return (redis as Redis | Cluster) instanceof Cluster ? (redis as unknown as Cluster) : undefined;
}

function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function openConnection(url: string, options: RedisOptions): Redis {
  const target = parseRedisUrl(url);
  if (target.kind === 'node') return new Redis(url, options);
  // What a Cluster decides for itself rather than per node: the options of the same name, and the retry
  // strategy as its clusterRetryStrategy (a node's own is the Cluster's to set).
  const { keyPrefix, enableAutoPipelining, lazyConnect, enableOfflineQueue, enableReadyCheck, retryStrategy, ...redisOptions } = options;
  const cluster = new TongbanCluster(target.nodes, {
    ...defined({ keyPrefix, enableAutoPipelining, lazyConnect, enableOfflineQueue, enableReadyCheck, clusterRetryStrategy: retryStrategy }),
    // Reads from replicas could miss a write just acknowledged by the master (a case read right after its receipt).
    scaleReads: 'master',
    redisOptions: {
      ...redisOptions,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
  });
  // A Cluster is not a Redis, but answers every command the stores send it (see TongbanCluster).
  return cluster as unknown as Redis;
}

/**
 * A connection for the stores, to one Redis or to a Redis Cluster
 * (`redis+cluster://…`, lib/redis-url.ts). The key prefix is applied by ioredis
 * to every key, including the KEYS of Lua scripts, so each deployment or test
 * run owns its own namespace in a shared Redis.
 */
export function createRedis(url: string, keyPrefix: string, options: RedisOptions = {}): Redis {
  return openConnection(url, { keyPrefix, lazyConnect: false, enableAutoPipelining: true, ...options });
}

/**
 * BullMQ refuses connections with a key prefix and needs blocking commands to wait
 * forever, hence its own connection options. On a cluster each queue's keys share
 * a slot through the hash tag in its name (queues/queues.ts).
 */
export function createQueueConnection(url: string): Redis {
  return openConnection(url, { maxRetriesPerRequest: null });
}

/**
 * How long a write on a cluster waits for a replica to have it before it is
 * answered anyway: a replica down or lagging is no reason to stop (SCALING.md).
 */
export const REPLICA_WAIT_MS = 500;

/**
 * On a cluster, resolves once a replica has every write this connection sent
 * to the master of `key`'s slot (WAIT, down the same connection to that
 * master), or after REPLICA_WAIT_MS; on a single Redis, at once. A master
 * acknowledges before its replica has the write, and a failover in between
 * forgets it: a job must be on a replica before the outbox entry that would
 * queue it again is removed.
 */
export async function replicated(redis: Redis, key: string): Promise<void> {
  if (!isCluster(redis)) return;
  const replies = (await redis.pipeline().exists(key).wait(1, REPLICA_WAIT_MS).exec()) ?? [];
  const failed = replies.find(([error]) => error)?.[0];
  if (failed) throw failed;
}

/** Whether `redis` is a Redis Cluster, whose masters replicate to replicas that a failover promotes. */
export function isCluster(redis: Redis): boolean {
  return asCluster(redis) !== undefined;
}

/** Whether `url` names a Redis Cluster. */
export function isClusterUrl(url: string): boolean {
  return parseRedisUrl(url).kind === 'cluster';
}

/** Resolves once a connection can route commands: a Cluster knows its nodes only after its first CLUSTER SLOTS. */
export async function whenReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      if (redis.status === 'end') reject(error);
    };
    redis.once('ready', () => {
      redis.off('error', onError);
      resolve();
    });
    redis.on('error', onError);
  });
}

/**
 * The connections that hold keys: the Redis itself, or each master of a Cluster
 * (without the key prefix, as ioredis applies it only to commands sent through the Cluster).
 */
export async function masterNodes(redis: Redis): Promise<Redis[]> {
  const cluster = asCluster(redis);
  if (!cluster) return [redis];
  await whenReady(redis);
  return cluster.nodes('master');
}

/**
 * A connection to every node of a Cluster, replicas included (a replica is a
 * master after a failover), from CLUSTER NODES: ioredis knows a replica only
 * once CLUSTER SLOTS lists it, which Redis does only after it has replicated
 * something. The connections are the caller's to close; for a single Redis, itself.
 */
async function everyNode(redis: Redis): Promise<{ nodes: Redis[]; close(): void }> {
  const cluster = asCluster(redis);
  if (!cluster) return { nodes: [redis], close: () => undefined };
  await whenReady(redis);
  const [seed] = cluster.nodes('master');
  if (!seed) throw new Error('the cluster has no master');
  const listing = String(await seed.cluster('NODES'));
  const nodes = listing
    .trim()
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([, , flags = '']) => !/fail|handshake|noaddr/.test(flags))
    .map(([, address = '']) => {
      const hostPort = address.split('@')[0]!;
      const colon = hostPort.lastIndexOf(':');
      return seed.duplicate({ host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)), readOnly: false, lazyConnect: false });
    });
  return { nodes, close: () => nodes.forEach((node) => node.disconnect()) };
}

/** Each batch of the full names of one node's keys matching `match`. */
async function* scanNode(node: Redis, match: string): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    if (keys.length) yield keys;
  } while (cursor !== '0');
}

/**
 * The full names of every key matching `match`, on every master of a cluster.
 * SCAN through a Cluster would walk one random node; and the pattern is not
 * prefixed by ioredis, so `match` names keys as Redis stores them.
 */
export async function scanKeys(redis: Redis, match: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of await masterNodes(redis)) for await (const keys of scanNode(node, match)) found.push(...keys);
  return found;
}

/**
 * Deletes every key under `prefix` (for tests and for `npm start`'s throwaway
 * Redis), walking every master of a cluster. Keys are unlinked one per command:
 * on a cluster the keys one SCAN returns lie in many slots.
 */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  const redis = openConnection(url, {});
  let deleted = 0;
  try {
    for (const node of await masterNodes(redis)) {
      for await (const keys of scanNode(node, `${prefix}*`)) {
        const results = (await keys.reduce((pipeline, key) => pipeline.unlink(key), node.pipeline()).exec()) ?? [];
        for (const [error, count] of results) {
          if (error) throw error;
          deleted += Number(count);
        }
      }
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/**
 * Connection trouble as structured log lines, at most one per `everyMs` with the
 * number suppressed: without a listener ioredis writes "Unhandled error event"
 * to stderr for every reconnect attempt, hundreds a minute during an outage.
 */
export function logRedisErrors(client: Redis, logger: Logger, connection: string, everyMs = 10_000): void {
  let lastAt = -Infinity;
  let suppressed = 0;
  client.on('error', (error: Error) => {
    const now = Date.now();
    if (now - lastAt < everyMs) {
      suppressed++;
      return;
    }
    logger.error({ connection, err: error, suppressed }, 'Redis connection error');
    lastAt = now;
    suppressed = 0;
  });
}

/**
 * Whether Redis keeps what it acknowledged: with appendfsync everysec a crash
 * lost acknowledged cases and their business numbers were issued again
 * (RELIABILITY.md, the restart test); with an eviction policy, a full Redis
 * drops webhook nonces (replays get through) and rate budgets (limits reset).
 */
export async function checkDurability(redis: Redis, logger: Logger): Promise<'durable' | 'not durable' | 'evicts' | 'unknown'> {
  let verdict: 'durable' | 'not durable' | 'evicts' = 'durable';
  let nodes: Awaited<ReturnType<typeof everyNode>>;
  try {
    nodes = await everyNode(redis);
  } catch (error) {
    logger.warn({ err: error }, 'Redis nodes cannot be listed: make sure every node runs with appendonly yes, appendfsync always and maxmemory-policy noeviction');
    return 'unknown';
  }
  try {
    for (const node of nodes.nodes) {
      const found = await nodeDurability(node, logger);
      if (found === 'unknown') return 'unknown';
      if (found === 'evicts' || (found === 'not durable' && verdict === 'durable')) verdict = found;
    }
  } finally {
    nodes.close();
  }
  return verdict;
}

/** One node's settings; each node of a cluster is asked, as CONFIG through a Cluster reaches one random node. */
async function nodeDurability(node: Redis, logger: Logger): Promise<'durable' | 'not durable' | 'evicts' | 'unknown'> {
  const where = node.options.port === undefined ? {} : { node: `${node.options.host ?? '127.0.0.1'}:${node.options.port}` };
  let settings: Record<string, string>;
  try {
    const read = async (name: string) => ((await node.config('GET', name)) as string[])[1] ?? '';
    settings = { appendonly: await read('appendonly'), appendfsync: await read('appendfsync'), 'maxmemory-policy': await read('maxmemory-policy') };
  } catch (error) {
    logger.warn(
      { err: error, ...where },
      'Redis settings cannot be read (CONFIG is disabled?): make sure it runs with appendonly yes, appendfsync always and maxmemory-policy noeviction',
    );
    return 'unknown';
  }
  if (settings['maxmemory-policy'] !== 'noeviction') {
    logger.error({ ...settings, ...where }, 'Redis may evict keys when full (webhook nonces, rate budgets, cases): run it with maxmemory-policy noeviction');
    return 'evicts';
  }
  if (settings.appendonly === 'yes' && settings.appendfsync === 'always') return 'durable';
  logger.error({ ...settings, ...where }, 'Redis can lose acknowledged cases on a crash: run it with appendonly yes and appendfsync always');
  return 'not durable';
}

/** Production starts only on a Redis that keeps and does not evict; one whose settings cannot be read is let through with a warning. */
export async function requireDurability(redis: Redis, logger: Logger): Promise<void> {
  const verdict = await checkDurability(redis, logger);
  if (verdict === 'not durable' || verdict === 'evicts') {
    throw new Error(`refusing to start in production: Redis is ${verdict === 'evicts' ? 'set to evict keys' : 'not durable'} (see the log line above)`);
  }
}
