import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDefaultCalendar } from '../../domain/calendar/index.js';
import type { VerificationCode } from '../../domain/certificates/index.js';
import { AlertStore } from '../../ledger/alerts/alert.store.js';
import { catalogGenerationKey } from '../../ledger/catalog/catalog-generation.js';
import { OfficialGuideStore } from '../../ledger/catalog/official-guides.js';
import { partitionOfCase, partitionOfDivision } from '../../ledger/cases/case-partitions.js';
import type { CaseQuery } from '../../ledger/cases/case.store.js';
import { CaseStore } from '../../ledger/cases/case.store.js';
import { CaseArchives } from '../../ledger/cases/case-archive.js';
import { createFileStore } from '../../lib/files/store-factory.js';
import { CertificateStore } from '../../ledger/certificates/certificate.store.js';
import { ShipmentStore } from '../../ledger/shipments/shipment.store.js';
import { WindowStore } from '../../ledger/windows/window.store.js';
import { UPLOAD_RECORD_PREFIX, UploadRecordStore } from '../../lib/files/upload-record.store.js';
import { createQueueConnection, createRedis, deleteKeysWithPrefix } from '../../lib/redis.js';
import { createJobQueues } from '../../queues/job-queues.js';
import { migrateLedger, MOVE_KINDS, type MigrationReport } from '../../scripts/ledger-partitions.migration.js';
import { testRedisUrl } from '../support/stack.js';

/** A Redis of the ledger before its partitions, made by the old code itself (test/fixtures/README.md). */
const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/ledger-9f982cd.keys.json', import.meta.url), 'utf8'));
const KEYS: { key: string; type: string; ttl: number | null; value: any }[] = FIXTURE.keys;
const OLD = FIXTURE.view;
const BUSINESS_NOS: string[] = OLD.cases.map((record: { businessNo: string }) => record.businessNo);
const calendar = getDefaultCalendar();
const run = promisify(execFile);
const url = testRedisUrl();
const base = `tongban-test:${randomUUID()}:`;

async function load(redis: Redis, prefix: string): Promise<void> {
  for (const { key, type, ttl, value } of KEYS) {
    const name = prefix + key;
    if (type === 'string') await redis.set(name, Buffer.from(value, 'base64'));
    else if (type === 'list') await redis.rpush(name, ...value);
    else if (type === 'set') await redis.sadd(name, ...value);
    else if (type === 'hash') await redis.hset(name, value);
    else if (type === 'zset') await redis.zadd(name, ...value.flatMap(([member, score]: [string, string]) => [score, member]));
    else if (type === 'stream') for (const [id, fields] of value) await redis.xadd(name, id, ...fields);
    else throw new Error(`no loader for ${type}`);
    if (ttl !== null) await redis.pexpire(name, ttl);
  }
}

/** Every key under a prefix, without it, with its value and whether it lapses: what two runs are compared by. */
async function dump(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  const entries = await Promise.all(
    found.map(async (key) => {
      const type = await redis.type(key);
      const value =
        type === 'string'
          ? (await redis.getBuffer(key))!.toString('base64')
          : type === 'list'
            ? await redis.lrange(key, 0, -1)
            : type === 'set'
              ? (await redis.smembers(key)).sort()
              : type === 'hash'
                ? await redis.hgetall(key)
                : type === 'zset'
                  ? await redis.zrange(key, '0', '-1', 'WITHSCORES')
                  : await redis.xrange(key, '-', '+');
      return [key.slice(prefix.length), { type, lapses: (await redis.pttl(key)) > 0, value }] as const;
    }),
  );
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)));
}

const byId = (alerts: { id: string }[]) => [...alerts].sort((a, b) => (a.id < b.id ? -1 : 1));
/** The fixture's value of a string key. */
const stored = (key: string) => Buffer.from(KEYS.find((entry) => entry.key === key)!.value, 'base64').toString();
const total = (report: MigrationReport) => MOVE_KINDS.reduce((sum, kind) => sum + report.moved[kind], 0);

/** The old layout's key names: none may be left once a run completes. */
const OLD_SHAPE = /^(case:[^{]|cases:[^{]|idem:receive:[^{]|stats:[^{]|windows?:[^{]|alerts?:[^{]|shipments?:[^{]|certificate:[^{]|catalog:[^{]|upload:record:|bull:\{[a-z-]+\}:(timetable|outbox)$)/;

describe('migrating the ledger of 9f982cd to its partitions', () => {
  const raw = new Redis(url);
  let prefix: string;
  let migrated: Record<string, unknown>;
  let first: MigrationReport;

  const archiveDir = mkdtempSync(join(tmpdir(), 'tongban-migration-archives-'));

  function over(keyPrefix: string) {
    const redis = createRedis(url, keyPrefix);
    const connection = createQueueConnection(url);
    const queues = createJobQueues(connection, keyPrefix, calendar);
    return {
      redis,
      queues,
      // The fixture's cases are open: no archive is ever read, but the store takes where archives would be.
      store: new CaseStore(redis, calendar, new CaseArchives(createFileStore({ kind: 'disk', directory: archiveDir }))),
      close: async () => {
        await queues.close();
        connection.disconnect();
        redis.disconnect();
      },
    };
  }

  async function loaded(name: string): Promise<string> {
    const keyPrefix = `${base}${name}:`;
    await load(raw, keyPrefix);
    return keyPrefix;
  }

  beforeAll(async () => {
    prefix = await loaded('clean');
  });

  afterAll(async () => {
    // Under the one base prefix, which holds no glob character: deleteKeysWithPrefix puts a prefix into MATCH as it is.
    await deleteKeysWithPrefix(url, base);
    raw.disconnect();
    rmSync(archiveDir, { recursive: true, force: true });
  });

  it('finds no case of the old layout with the new code before it runs: what it is for', async () => {
    const { store, close } = over(prefix);
    expect((await store.list({}, 0, 100)).total).toBe(0);
    expect(await store.get(BUSINESS_NOS[0]!)).toBeNull();
    await close();
  });

  it('moves every key, and the new code reads what the old one read', async () => {
    first = await migrateLedger(raw, prefix);
    expect(first).toMatchObject({ complete: true, conflicts: [], unplaced: [], alreadyThere: 0 });
    const count = (shape: RegExp) => KEYS.filter(({ key }) => shape.test(key)).length;
    expect(first.moved).toMatchObject({
      case: BUSINESS_NOS.length,
      'case events': BUSINESS_NOS.length,
      'idempotency key': 1,
      'day counters': 2,
      window: count(/^window:[^:]+$/),
      'window history': count(/^window:.+:history$/),
      'upload record': 1,
      'transfer outbox entry': 1,
      'notification outbox entry': 1,
      'timetable entry': Object.values(OLD.timetable).flat().length,
      alert: 1,
      certificate: 2,
      catalog: 2,
    });
    migrated = await dump(raw, prefix);
    expect(Object.keys(migrated).filter((key) => OLD_SHAPE.test(key))).toEqual([]);
    // Views would merge misplaced entries alike; a case's next write moves only those in its own partition.
    let placed = 0;
    for (const [key, { type, value }] of Object.entries(migrated) as [string, { type: string; value: string[] }][]) {
      const tag = /^(?:cases|bull):(\{L\d\d\}):/.exec(key)?.[1];
      if (!tag || type !== 'zset') continue;
      for (let i = 0; i < value.length; i += 2) {
        const member = value[i]!;
        const businessNo = /TB\d{19}/.exec(member.startsWith('{') ? JSON.parse(member).recipient.businessNo : member)![0];
        expect([key, partitionOfCase(businessNo)]).toEqual([key, tag]);
        placed++;
      }
    }
    expect(placed).toBeGreaterThan(100);

    const { redis, queues, store, close } = over(prefix);
    try {
      expect(await store.getMany(BUSINESS_NOS)).toEqual(OLD.cases);
      for (const businessNo of BUSINESS_NOS) {
        expect(await store.events(businessNo)).toEqual(OLD.events[businessNo]);
        // As ZSCAN gives them, in no order of their own.
        expect(byId(await queues.alerts.scheduled(businessNo))).toEqual(byId(OLD.timetable[businessNo]));
      }
      const numbers = async (query: CaseQuery, at = new Date(OLD.viewAt)) => {
        const page = await store.list(query, 0, 1000, at);
        return { businessNos: page.cases.map((record) => record.businessNo), total: page.total };
      };
      expect(await numbers({})).toEqual(OLD.lists.all);
      for (const [stage, expected] of Object.entries(OLD.lists.stages)) expect(await numbers({ stage: stage as never })).toEqual(expected);
      for (const [windowId, expected] of Object.entries(OLD.lists.windows)) expect(await numbers({ windowId })).toEqual(expected);
      for (const [windowId, expected] of Object.entries(OLD.lists.windowStages)) expect(await numbers({ windowId, stage: 'RECEIVED' })).toEqual(expected);
      for (const [region, expected] of Object.entries(OLD.lists.regions)) expect(await numbers({ region: region as never })).toEqual(expected);
      for (const [status, expected] of Object.entries(OLD.lists.clocks)) expect(await numbers({ clockStatus: status as never })).toEqual(expected);
      for (const [status, expected] of Object.entries(OLD.lists.clocksLater)) {
        expect((await numbers({ clockStatus: status as never }, new Date(OLD.laterAt))).businessNos).toEqual(expected);
      }
      expect(Object.values(OLD.lists.clocksLater).every((businessNos) => (businessNos as string[]).length > 0)).toBe(true);
      const dates = Object.keys(OLD.statistics);
      expect(Object.fromEntries((await store.statistics(dates)).map((day, i) => [dates[i], day]))).toEqual(OLD.statistics);

      // A retried submission still finds the case its first attempt created, in the partition of its window's division.
      const windows = new WindowStore(redis);
      const { windowId, actor, requestKey, businessNo } = OLD.submission;
      const [window] = await windows.getMany([windowId]);
      expect(await store.findSubmission({ scope: { windowId, divisionCode: window!.divisionCode, actor }, key: requestKey, inputDigest: '' })).toMatchObject({ businessNo });
      const idempotency = Object.keys(migrated).find((key) => key.startsWith('idem:receive:'))!;
      expect(migrated[idempotency]).toMatchObject({ lapses: true });

      expect(await queues.transfers.pending()).toBe(OLD.transfersPending);
      expect(await queues.notifications.pending()).toBe(OLD.notificationsPending);
      expect(await queues.alerts.scheduledCount()).toBe(Object.values(OLD.timetable).flat().length);

      expect(await windows.list({})).toEqual(OLD.windows.list);
      expect(await windows.generation()).toBe(OLD.windows.generation);
      const uploader = (await windows.getMany([OLD.upload.record.windowId]))[0]!;
      expect(await new UploadRecordStore(redis, UPLOAD_RECORD_PREFIX).find(OLD.upload.record.uploadId, partitionOfDivision(uploader.divisionCode))).toEqual(OLD.upload.record);
      expect(await new AlertStore(redis).list({ status: 'OPEN' })).toEqual(OLD.alerts);
      expect(await new CertificateStore(redis).lookup(OLD.certificate.code as VerificationCode)).toEqual(OLD.certificate.entry);
      const shipments = new ShipmentStore(redis);
      expect(await shipments.get(OLD.shipment.waybillNo)).toEqual(OLD.shipment);
      expect((await shipments.listByCases([OLD.shipment.businessNo]))[0]).toEqual(OLD.shipmentsOfCase);
      expect(await new OfficialGuideStore(redis).get(['510000-00001'])).toEqual(OLD.guides);
      expect(await redis.get(catalogGenerationKey('SICHUAN'))).toBe(stored('catalog:generation:SICHUAN'));
    } finally {
      await close();
    }
  });

  it('changes nothing when run again', async () => {
    const again = await migrateLedger(raw, prefix);
    expect(again).toMatchObject({ complete: true, conflicts: [], unplaced: [], alreadyThere: 0 });
    expect(total(again)).toBe(0);
    expect(again.oldLayout).toBe(0);
    // SCAN may give a key twice, never leave one out.
    expect(again.scanned).toBeGreaterThanOrEqual(Object.keys(migrated).length);
    expect(await dump(raw, prefix)).toEqual(migrated);
  });

  it('finishes a run stopped anywhere, however often, as one run would, and leaves a neighbouring prefix alone', async () => {
    // Glob characters in the prefix: unescaped, its SCAN pattern would match the neighbour's keys too.
    const stopped = await loaded('a?[b]*');
    const neighbour = await loaded('ab[b]x');
    const before = await dump(raw, neighbour);
    let runs = 0;
    let moved = 0;
    for (;;) {
      const report = await migrateLedger(raw, stopped, { batch: 2, maxSteps: 5 });
      runs++;
      moved += total(report);
      expect(report).toMatchObject({ conflicts: [], unplaced: [] });
      if (report.complete) break;
      const { store, close } = over(stopped);
      // Half way, each case is in one place: where the new code reads, or not yet moved.
      const records = await store.getMany(BUSINESS_NOS);
      await close();
      for (const [i, record] of records.entries()) {
        if (record) expect(record).toEqual(OLD.cases[i]);
        else expect(await raw.exists(`${stopped}case:${BUSINESS_NOS[i]}`)).toBe(1);
      }
    }
    expect(runs).toBeGreaterThan(10);
    expect(moved).toBe(total(first));
    expect(await dump(raw, stopped)).toEqual(migrated);
    expect(await dump(raw, neighbour)).toEqual(before);
  });

  it('leaves and reports a key whose new name is taken, and an upload whose window it cannot find', async () => {
    const keyPrefix = await loaded('taken');
    await raw.set(`${keyPrefix}catalog:{catalog}:generation:SICHUAN`, '7');
    const record = JSON.parse(stored(KEYS.find(({ key }) => key.startsWith('upload:record:'))!.key));
    await raw.set(`${keyPrefix}upload:record:stray`, JSON.stringify({ ...record, uploadId: 'stray', windowId: 'W-999999-01' }), 'PX', 60_000);
    await raw.zadd(`${keyPrefix}bull:{deadline-alerts}:timetable`, 1, 'not-an-alert');

    const report = await migrateLedger(raw, keyPrefix);
    expect(report.complete).toBe(true);
    expect(report.conflicts).toEqual([{ from: `${keyPrefix}catalog:generation:SICHUAN`, to: `${keyPrefix}catalog:{catalog}:generation:SICHUAN` }]);
    expect(report.unplaced).toHaveLength(2);
    expect(report.unplaced).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: `${keyPrefix}upload:record:stray` }),
        expect.objectContaining({ key: `${keyPrefix}bull:{deadline-alerts}:timetable`, member: 'not-an-alert' }),
      ]),
    );
    expect(await raw.get(`${keyPrefix}catalog:{catalog}:generation:SICHUAN`)).toBe('7');
    expect(await raw.get(`${keyPrefix}catalog:generation:SICHUAN`)).toBe(stored('catalog:generation:SICHUAN'));
    expect(await raw.zrange(`${keyPrefix}bull:{deadline-alerts}:timetable`, '0', '-1')).toEqual(['not-an-alert']);
    expect(await raw.pttl(`${keyPrefix}upload:record:stray`)).toBeGreaterThan(0);

    // Run again, it reports the same and moves nothing.
    const again = await migrateLedger(raw, keyPrefix);
    expect(total(again)).toBe(0);
    expect(again.conflicts).toEqual(report.conflicts);
    expect(new Set(again.unplaced.map((entry) => entry.key))).toEqual(new Set(report.unplaced.map((entry) => entry.key)));
  });

  it('refuses a Redis Cluster, which never held the old layout, before it reads a key', async () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    try {
      await expect(migrateLedger(cluster as unknown as Redis, prefix)).rejects.toMatchObject({ code: 'MIGRATION.CLUSTER_NOT_SUPPORTED' });
      expect(cluster.status).toBe('wait');
    } finally {
      cluster.disconnect();
    }
  });

  it('runs as npm run ops -- migrate-ledger, says to stop the services, counts what it moved, and fails while something is left', async () => {
    const keyPrefix = await loaded('ops');
    const env = { ...process.env, REDIS_URL: url, REDIS_KEY_PREFIX: keyPrefix, LOG_LEVEL: 'silent' };
    const ops = () => run(process.execPath, ['--import', 'tsx', 'scripts/ops.ts', 'migrate-ledger'], { env });
    const { stdout } = await ops();
    expect(stdout).toMatch(/gateways, subgraphs and workers must be stopped/);
    expect(stdout).toMatch(/\n\d+ key\(s\) under the prefix, [1-9]\d* of them in the old layout\n/);
    expect(stdout).toContain(`  case: ${BUSINESS_NOS.length} moved`);
    expect(stdout).toContain('  timetable entry: ');
    expect(stdout).toMatch(/done: nothing is left in the old layout/);
    // Opening the queues writes each one's meta hash, the command's own queue admin included: not the migration's doing.
    const queueMetaApart = (keys: Record<string, unknown>) => Object.fromEntries(Object.entries(keys).filter(([key]) => !/^bull:\{[^}]+\}:meta$/.test(key)));
    expect(queueMetaApart(await dump(raw, keyPrefix))).toEqual(queueMetaApart(migrated));

    await raw.set(`${keyPrefix}windows:seeded`, 'again');
    const refused = await ops().catch((error: { stdout: string; code: number }) => error);
    expect(refused).toMatchObject({ code: 1 });
    expect((refused as { stdout: string }).stdout).toContain(`left: ${keyPrefix}windows:seeded (${keyPrefix}windows:{windows}:seeded exists already)`);
  });
});
