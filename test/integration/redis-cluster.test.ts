import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDurability, createQueueConnection, createRedis, deleteKeysWithPrefix, masterNodes, scanKeys } from '../../lib/redis.js';
import { QueueAdmin } from '../../queues/queue-admin.js';
import { MaterialTransferQueue, transferOutboxKey } from '../../queues/material-transfer.queue.js';
import { PARTITION_TAGS } from '../../ledger/cases/case-partitions.js';
import { startRedisCluster, type RedisClusterHarness } from '../support/redis-cluster.js';
import { testLogger, testPrefix } from '../support/stack.js';

/**
 * The connection layer on a real Redis Cluster of its own (3 masters, 3
 * replicas): a prefix that reaches every key, walks over every master, and
 * a durability check no single node can pass for the others.
 */
describe('lib/redis.ts on a Redis Cluster', () => {
  let cluster: RedisClusterHarness;
  const prefix = testPrefix();

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  /** Keys of this prefix on each master, as the node itself holds them. */
  async function keysPerMaster(): Promise<number[]> {
    return Promise.all(
      (await cluster.masters()).map(async ({ node }) => {
        const redis = new Redis(node.port, '127.0.0.1');
        try {
          return (await redis.keys(`${prefix}*`)).length;
        } finally {
          redis.disconnect();
        }
      }),
    );
  }

  it('prefixes every key, scans and deletes them on every master', async () => {
    const redis = createRedis(cluster.url, prefix);
    try {
      await Promise.all(Array.from({ length: 300 }, (_, i) => redis.set(`k:${i}`, String(i))));
      // Keys spread over the slots, hence over all three masters.
      const spread = await keysPerMaster();
      expect(spread).toHaveLength(3);
      expect(spread.every((count) => count > 50)).toBe(true);
      expect(await redis.get('k:7')).toBe('7');
      expect(await redis.eval("return redis.call('GET', KEYS[1])", 1, 'k:8')).toBe('8');

      const found = await scanKeys(redis, `${prefix}k:*`);
      expect(found).toHaveLength(300);
      expect(found.every((key) => key.startsWith(`${prefix}k:`))).toBe(true);
      expect(await masterNodes(redis)).toHaveLength(3);

      expect(await deleteKeysWithPrefix(cluster.url, prefix)).toBe(300);
      expect(await keysPerMaster()).toEqual([0, 0, 0]);
    } finally {
      redis.disconnect();
    }
  });

  it('refuses keys of two slots in one script rather than write part of them', async () => {
    const redis = createRedis(cluster.url, prefix);
    try {
      await expect(redis.eval("redis.call('SET', KEYS[1], 1) redis.call('SET', KEYS[2], 1)", 2, 'a', 'b')).rejects.toThrow(/slot/i);
      // Under one hash tag they share a slot and the script runs.
      await redis.eval("redis.call('SET', KEYS[1], 1) redis.call('SET', KEYS[2], 1)", 2, '{t}:a', '{t}:b');
      expect(await scanKeys(redis, `${prefix}*`)).toEqual(expect.arrayContaining([`${prefix}{t}:a`, `${prefix}{t}:b`]));
      expect(await scanKeys(redis, `${prefix}a`)).toEqual([]);
    } finally {
      redis.disconnect();
      await deleteKeysWithPrefix(cluster.url, prefix);
    }
  });

  it('duplicates with a standalone connection\'s overrides, as the gateway and the queue admin do', async () => {
    const redis = createRedis(cluster.url, prefix);
    const bare = redis.duplicate({ keyPrefix: '' });
    const timed = redis.duplicate({ commandTimeout: 1_000 });
    try {
      await redis.set('dup', 'x');
      expect(await bare.get(`${prefix}dup`)).toBe('x');
      expect(await timed.get('dup')).toBe('x');
      // The queue admin reads BullMQ's keys through an unprefixed duplicate: BullMQ refuses a prefixed one.
      const admin = QueueAdmin.over(redis);
      try {
        expect((await admin.counts()).length).toBeGreaterThan(0);
      } finally {
        await admin.close();
      }
    } finally {
      bare.disconnect();
      timed.disconnect();
      redis.disconnect();
      await deleteKeysWithPrefix(cluster.url, prefix);
    }
  });

  it('runs BullMQ queues on it, each queue in the slot of its hash tag', async () => {
    const connection = createQueueConnection(cluster.url);
    const options = { connection, prefix: `${prefix}bull` };
    const queue = new Queue('{cluster-probe}', options);
    const events = new QueueEvents('{cluster-probe}', options);
    const worker = new Worker('{cluster-probe}', async (job) => (job.data as { n: number }).n * 2, options);
    try {
      // Both listening before the job exists: on a loaded machine a cluster connection can take seconds to be ready.
      await Promise.all([events.waitUntilReady(), worker.waitUntilReady()]);
      const job = await queue.add('double', { n: 21 });
      expect(await job.waitUntilFinished(events, 30_000)).toBe(42);
      // Every key of the queue sits in the slot of its tag, whichever master that is.
      const keys = await scanKeys(connection, `${prefix}bull:{cluster-probe}:*`);
      expect(keys.length).toBeGreaterThan(0);
      const slots = new Set(await Promise.all(keys.map(async (key) => connection.cluster('KEYSLOT', key))));
      expect(slots.size).toBe(1);
    } finally {
      await worker.close();
      await events.close();
      await queue.close();
      connection.disconnect();
      await deleteKeysWithPrefix(cluster.url, prefix);
    }
  });

  it('takes a transfer off its outbox only once a replica has its job, so a failover cannot lose both', async () => {
    const connection = createQueueConnection(cluster.url);
    const bull = `${prefix}bull`;
    const transfers = new MaterialTransferQueue(connection, bull);
    const outbox = transferOutboxKey(bull, PARTITION_TAGS[0]!);
    const jobKey = `${bull}:{material-transfer}:transfer-TB-LAG`;
    const slot = Number(await connection.cluster('KEYSLOT', jobKey));
    const master = (await cluster.masters()).find(({ slots }) => slots.some(([from, to]) => slot >= from && slot <= to))!.node;
    const masterAdmin = new Redis(master.port, '127.0.0.1');
    const masterId = String(await masterAdmin.cluster('MYID'));
    const [replicaLine] = (await masterAdmin.cluster('REPLICAS', masterId)) as string[];
    const replicaPort = Number(replicaLine!.split(' ')[1]!.split('@')[0]!.split(':')[1]);
    const replica = new Redis(replicaPort, '127.0.0.1');
    try {
      await connection.zadd(outbox, Date.now(), 'TB-LAG|ONLINE');
      // The replica stops answering its master for 600 ms: the job reaches it only once it wakes.
      const lagging = replica.call('DEBUG', 'SLEEP', '0.6');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const startedAt = Date.now();
      expect(await transfers.drainOutbox()).toBe(1);
      const tookMs = Date.now() - startedAt;
      await lagging;
      // Waited for the replica (up to REPLICA_WAIT_MS), not answered at the master's word alone.
      expect(tookMs).toBeGreaterThanOrEqual(400);
      expect(await connection.zcard(outbox)).toBe(0);
      await replica.readonly();
      expect(await replica.exists(jobKey)).toBe(1);
    } finally {
      replica.disconnect();
      masterAdmin.disconnect();
      await transfers.close();
      connection.disconnect();
      await deleteKeysWithPrefix(cluster.url, prefix);
    }
  });

  it('calls a cluster durable only when every node is, replicas included', async () => {
    const redis = createRedis(cluster.url, prefix);
    const masters = new Set((await cluster.masters()).map(({ node }) => node.port));
    const aReplica = cluster.nodes.find((node) => !masters.has(node.port))!;
    const admin = new Redis(aReplica.port, '127.0.0.1');
    try {
      expect(await checkDurability(redis, testLogger)).toBe('durable');
      await admin.config('SET', 'appendfsync', 'everysec');
      expect(await checkDurability(redis, testLogger)).toBe('not durable');
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      expect(await checkDurability(redis, testLogger)).toBe('evicts');
    } finally {
      await admin.config('SET', 'appendfsync', 'always');
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      admin.disconnect();
      redis.disconnect();
    }
  });
});
