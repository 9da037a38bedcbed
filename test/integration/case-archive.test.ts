import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import type { CatalogItem } from '../../adapters/platform.port.js';
import { getDefaultCalendar } from '../../domain/calendar/index.js';
import { caseArchiveProcessor } from '../../jobs/case-archive.processor.js';
import type { Caller } from '../../lib/auth/caller.js';
import { readBounded, type FileStore, type StageLimits } from '../../lib/files/file-store.js';
import { CASE_ARCHIVE_FORMAT, CaseArchives, type CaseArchiveDocument } from '../../ledger/cases/case-archive.js';
import { partitionOfCase } from '../../ledger/cases/case-partitions.js';
import { decodeStoredCase } from '../../ledger/cases/case-record.codec.js';
import { CaseStore } from '../../ledger/cases/case.store.js';
import { S3FileStore } from '../../lib/files/s3.store.js';
import { startTestS3 } from '../support/s3-server.js';
import { scanMaterials } from '../support/scans.kit.js';
import { DEFAULT_CALLER, staffAt, startTestStack, type TestStack } from '../support/stack.js';
import { until } from '../support/until.kit.js';

/**
 * Closed cases archived to the file store, Redis keeping a stub: taken to
 * 已送达, 不予受理 and 已视为放弃 through the gateway, archived by the job with
 * the stack's clock moved past ARCHIVE_AFTER_DAYS, then read back through the
 * gateway as if nothing had happened.
 */
const ARCHIVE_AFTER_DAYS = 30;
const DAY_MS = 24 * 3600_000;
const SUPERVISOR_SC: Caller = { subject: 'sup-sc', role: 'SUPERVISOR', region: 'SICHUAN', windowId: null };
const SICHUAN_WATER = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const REJECTED = SICHUAN_CATALOG.find((item) => item.code === '510000-00002')!;

const RECEIVE = /* GraphQL */ `
  mutation Receive($input: ReceiveApplicationInput!) {
    receiveApplication(input: $input) { businessNo }
  }
`;

// Every field the workflow tests read, nested ones included; no personal data, whose reading is itself audited.
const CASE = /* GraphQL */ `
  query Case($no: ID!) {
    case(businessNo: $no) {
      businessNo stage scope decision refusalReasons appliedAt
      item { code name }
      receivingWindow { id } jurisdictionWindow { id }
      clock { limitDays consumedWorkingDays remainingWorkingDays paused status dueAt }
      deadlines { kind dueAt completedAt status }
      transfer { channel forwardedAt receivedAt }
      result { method applicantNotifiedAt deliveredAt }
      evaluation { score comment }
      notices { __typename id kind }
      timeline { type at actor }
    }
  }
`;

const LISTS = /* GraphQL */ `
  query Lists {
    all: cases(first: 50) { totalCount edges { node { businessNo stage } } }
    delivered: cases(filter: { stage: DELIVERED }, first: 50) { totalCount edges { node { businessNo item { name } } } }
    abandoned: cases(filter: { stage: ABANDONED }, first: 50) { totalCount edges { node { businessNo } } }
    stopped: cases(filter: { clockStatus: STOPPED }, first: 50) { totalCount edges { node { businessNo } } }
  }
`;

const STATISTICS = /* GraphQL */ `
  query ($p: PeriodInput!) {
    statistics(period: $p) { received deficient forwarded finished refused evaluations averageScore }
  }
`;

function allMaterials(item: CatalogItem) {
  return item.materials.map(({ name, form, copies }) => ({ name, form, copies }));
}

function input(item: CatalogItem, materials = allMaterials(item)) {
  return {
    windowId: 'W-500000-01',
    itemCode: item.code,
    applicant: { kind: 'ORGANISATION', name: '某某工程检测有限公司', idNumber: '91350100M000100Y43' },
    contact: { name: '赵工', phone: '13812345678' },
    delivery: { method: 'PICKUP' },
    materials,
    handler: '李四',
  };
}

/** A file store that runs `before` ahead of each write, or fails once the write is done (a worker killed between the steps). */
function interleaved(files: FileStore, hooks: { before?: () => Promise<void>; crashAfter?: boolean }): FileStore & { written: string[] } {
  const written: string[] = [];
  return {
    written,
    stage: (source, limits) => files.stage(source, limits),
    async put(source: Readable, limits: StageLimits) {
      await hooks.before?.();
      const stored = await files.put(source, limits);
      written.push(stored.sha256);
      if (hooks.crashAfter) throw new Error('worker killed after writing the archive');
      return stored;
    },
    get: (sha256, range) => files.get(sha256, range),
    stat: (sha256) => files.stat(sha256),
    delete: (sha256) => files.delete(sha256),
    sweepStaged: (before) => files.sweepStaged(before),
  };
}

describe('archive of closed cases', () => {
  let stack: TestStack;
  let now = new Date('2025-11-24T10:00:00+08:00');
  const at = (iso: string | number) => {
    now = new Date(iso);
  };

  async function gql<T = any>(query: string, variables?: Record<string, unknown>, caller: Caller = DEFAULT_CALLER): Promise<T> {
    const result = await stack.as(caller).query(query, variables);
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return result.data as T;
  }
  const caseOf = async (no: string) => (await gql(CASE, { no })).case;
  const snapshot = async () => ({
    lists: await gql(LISTS),
    statistics: await gql(STATISTICS, { p: { from: '2025-11-24', to: '2025-12-31' } }, SUPERVISOR_SC),
  });

  const caseKey = (no: string) => `case:${partitionOfCase(no)}:${no}`;
  const stored = async (no: string) => (await stack.redis.getBuffer(caseKey(no)))!;
  const memory = async (no: string) => {
    const [record, events] = await Promise.all([stack.redis.memory('USAGE', caseKey(no), 'SAMPLES', 0), stack.redis.memory('USAGE', `${caseKey(no)}:events`, 'SAMPLES', 0)]);
    return Number(record ?? 0) + Number(events ?? 0);
  };
  const archiveRun = (store: CaseStore = stack.store) =>
    caseArchiveProcessor({ store, shipments: stack.shipments, archiveAfterDays: stack.config.jobs.archiveAfterDays, now: () => now })();
  const readArchive = async (sha256: string) => JSON.parse((await readBounded(await stack.fileStore.get(sha256), 1 << 24)).toString('utf8')) as CaseArchiveDocument;
  const stubOf = async (no: string) => {
    const value = decodeStoredCase(await stored(no));
    return value.kind === 'STUB' ? { version: value.version, stub: value.stub } : null;
  };

  let delivered: string;
  let refused: string;
  let abandoned: string;
  let open: string;
  let closedAt: number;

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now, sichuanRejects: [REJECTED.code], env: { ARCHIVE_AFTER_DAYS: String(ARCHIVE_AFTER_DAYS) } });

    at('2025-11-24T10:00:00+08:00');
    delivered = (await gql(RECEIVE, { input: input(SICHUAN_WATER) })).receiveApplication.businessNo;
    refused = (await gql(RECEIVE, { input: input(REJECTED) })).receiveApplication.businessNo;
    abandoned = (await gql(RECEIVE, { input: input(SICHUAN_WATER, allMaterials(SICHUAN_WATER).slice(1)) })).receiveApplication.businessNo;
    open = (await gql(RECEIVE, { input: input(SICHUAN_WATER) })).receiveApplication.businessNo;

    at('2025-11-25T09:30:00+08:00');
    await scanMaterials(stack, delivered);
    await scanMaterials(stack, refused);
    await gql('mutation ($no: ID!) { dispatchMaterials(businessNo: $no, channel: ONLINE) { stage } }', { no: delivered });
    await gql('mutation ($no: ID!) { dispatchMaterials(businessNo: $no, channel: ONLINE) { stage } }', { no: refused });
    const platformCase = (no: string) => until('the case forwarded', async () => (await stack.workflow.get(no)).platformCaseId);
    const [deliveredOnPlatform, refusedOnPlatform] = [await platformCase(delivered), await platformCase(refused)];

    at('2025-11-26T10:00:00+08:00');
    await stack.sichuan.advance(refusedOnPlatform);
    await until('the refusal', async () => (await stack.workflow.get(refused)).stage === 'REFUSED');
    await stack.sichuan.advance(deliveredOnPlatform);
    await until('the case at the jurisdiction', async () => (await stack.workflow.get(delivered)).stage === 'AT_JURISDICTION');
    await stack.sichuan.advance(deliveredOnPlatform);
    await stack.sichuan.advance(deliveredOnPlatform);
    await until('the decision', async () => (await stack.workflow.get(delivered)).stage === 'DECIDED');

    at('2025-11-28T15:00:00+08:00');
    await gql('mutation ($no: ID!) { recordResultDispatched(businessNo: $no, delivery: { method: PICKUP }) { stage } }', { no: delivered }, staffAt('W-510000-01'));
    await gql('mutation ($no: ID!) { recordReceivingWindowFeedback(businessNo: $no) { stage } }', { no: delivered }, staffAt('W-510000-01'));
    at('2025-12-01T10:00:00+08:00');
    await gql('mutation ($no: ID!) { recordResultAtWindow(businessNo: $no) { stage } }', { no: delivered });
    await gql('mutation ($no: ID!) { notifyApplicantForPickup(businessNo: $no) { stage } }', { no: delivered });
    await until('the applicant notified', async () => (await stack.workflow.get(delivered)).result?.applicantNotifiedAt);
    await gql('mutation ($no: ID!) { recordDelivered(businessNo: $no) { stage } }', { no: delivered });

    // Not corrected by its deadline (2025-12-01): 已视为放弃.
    at('2025-12-02T09:30:00+08:00');
    const late = await stack.query('mutation ($no: ID!, $m: [MaterialInput!]!) { resubmitCorrections(businessNo: $no, materials: $m) { __typename } }', {
      no: abandoned,
      m: allMaterials(SICHUAN_WATER),
    });
    expect(late.errors?.[0]?.extensions?.code).toBe('CASE.CORRECTION_DEADLINE_PASSED');
    const records = await stack.store.getMany([delivered, refused, abandoned, open]);
    expect(records.map((r) => r!.stage)).toEqual(['DELIVERED', 'REFUSED', 'ABANDONED', 'RECEIVED']);
    closedAt = Math.max(...records.slice(0, 3).map((r) => Date.parse(r!.updatedAt)));
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('archives closed cases once, and the gateway answers as before', async () => {
    const closedCases = [delivered, refused, abandoned];
    const before = new Map<string, unknown>();
    for (const no of closedCases) before.set(no, await caseOf(no));
    const views = await snapshot();
    const records = new Map((await stack.store.getMany(closedCases)).map((r) => [r!.businessNo, r!]));
    const events = new Map(await Promise.all(closedCases.map(async (no) => [no, await stack.store.events(no)] as const)));
    const memoryBefore = new Map(await Promise.all(closedCases.map(async (no) => [no, await memory(no)] as const)));

    // A day short of ARCHIVE_AFTER_DAYS after the last closure: the last one closed stays whole.
    at(closedAt + (ARCHIVE_AFTER_DAYS - 1) * DAY_MS);
    expect((await archiveRun()).archived).toBeLessThan(3);
    expect(await stubOf(abandoned)).toBeNull();

    at(closedAt + ARCHIVE_AFTER_DAYS * DAY_MS + 60_000);
    await archiveRun();
    for (const no of closedCases) {
      const found = await stubOf(no);
      expect(found, no).not.toBeNull();
      const { version, stub } = found!;
      const record = records.get(no)!;
      expect(version).toBe(record.version + 1);
      expect(stub).toMatchObject({
        businessNo: no,
        stage: record.stage,
        itemCode: record.itemCode,
        itemName: record.item.name,
        receivingWindowId: 'W-500000-01',
        appliedAt: record.appliedAt,
        closedAt: record.updatedAt,
        archive: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      });
      expect(await stack.redis.exists(`${caseKey(no)}:events`)).toBe(0);

      // The document in the file store, at its digest, in the documented format.
      const stat = await stack.fileStore.stat(stub.archive.sha256);
      expect(stat).toEqual({ sha256: stub.archive.sha256, size: stub.archive.size });
      const document = await readArchive(stub.archive.sha256);
      expect(document.format).toBe(CASE_ARCHIVE_FORMAT);
      expect(document.record).toEqual(record);
      expect(document.events).toEqual(events.get(no));
      expect(Array.isArray(document.shipments)).toBe(true);

      const after = await memory(no);
      expect(after).toBeLessThan(memoryBefore.get(no)! / 3);
      console.log(`case-archive memory: ${record.stage} ${no}: ${memoryBefore.get(no)} B (record + ${events.get(no)!.length} events) → ${after} B (stub)`);
    }
    // Not closed: not archived, however old.
    expect(await stubOf(open)).toBeNull();

    for (const no of closedCases) expect(await caseOf(no)).toEqual(before.get(no));
    expect((await caseOf(open)).stage).toBe('RECEIVED');
    expect(await snapshot()).toEqual(views);

    // Nothing left to archive.
    expect(await archiveRun()).toEqual({ archived: 0, conflicts: 0 });
    for (const no of closedCases) expect((await stubOf(no))!.version).toBe(records.get(no)!.version + 1);
  });

  it('takes a late evaluation: the case is written back whole, its timeline whole, and archived again later', async () => {
    const timeline = (await caseOf(delivered)).timeline;
    const firstArchive = (await stubOf(delivered))!.stub.archive.sha256;
    const { evaluate } = await gql('mutation ($no: ID!) { evaluate(businessNo: $no, score: 4, comment: "晚了点，但办好了") { score } }', { no: delivered });
    expect(evaluate).toEqual({ score: 4 });
    expect(await stubOf(delivered)).toBeNull();
    const restored = (await stack.store.get(delivered))!;
    expect(restored.evaluation).toMatchObject({ score: 4 });
    expect(restored.archive?.sha256).toBe(firstArchive);
    const kase = await caseOf(delivered);
    expect(kase.timeline).toEqual([...timeline, expect.objectContaining({ type: 'EVALUATED' })]);
    expect(kase.evaluation).toEqual({ score: 4, comment: '晚了点，但办好了' });
    // Counted on the day it was given, as any evaluation.
    const today = new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
    const { statistics } = await gql(STATISTICS, { p: { from: today, to: today } }, SUPERVISOR_SC);
    expect(statistics).toMatchObject({ evaluations: 1, averageScore: 4 });

    // The evaluation restarts its ARCHIVE_AFTER_DAYS.
    expect((await archiveRun()).archived).toBe(0);
    at(now.getTime() + ARCHIVE_AFTER_DAYS * DAY_MS + 60_000);
    expect(await archiveRun()).toEqual({ archived: 1, conflicts: 0 });
    const { stub } = (await stubOf(delivered))!;
    expect(stub.archive.sha256).not.toBe(firstArchive);
    const document = await readArchive(stub.archive.sha256);
    expect(document.record.archive).toBeUndefined();
    expect(document.record.evaluation).toMatchObject({ score: 4 });
    expect(document.events.map((e) => e.type)).toEqual(kase.timeline.map((e: { type: string }) => e.type));
    expect(await caseOf(delivered)).toEqual(kase);
  });

  it('backs off when the case changes while its archive is written, and archives it once a crash is over', async () => {
    at('2026-03-02T10:00:00+08:00');
    const refusedLate = (await gql(RECEIVE, { input: input(REJECTED) })).receiveApplication.businessNo;
    const abandonedLate = (await gql(RECEIVE, { input: input(SICHUAN_WATER, allMaterials(SICHUAN_WATER).slice(1)) })).receiveApplication.businessNo;
    await scanMaterials(stack, refusedLate);
    await gql('mutation ($no: ID!) { dispatchMaterials(businessNo: $no, channel: ONLINE) { stage } }', { no: refusedLate });
    await stack.sichuan.advance(await until('the late case forwarded', async () => (await stack.workflow.get(refusedLate)).platformCaseId));
    await until('the late refusal', async () => (await stack.workflow.get(refusedLate)).stage === 'REFUSED');
    at('2026-03-20T09:30:00+08:00');
    const late = await stack.query('mutation ($no: ID!, $m: [MaterialInput!]!) { resubmitCorrections(businessNo: $no, materials: $m) { __typename } }', {
      no: abandonedLate,
      m: allMaterials(SICHUAN_WATER),
    });
    expect(late.errors?.[0]?.extensions?.code).toBe('CASE.CORRECTION_DEADLINE_PASSED');
    at(now.getTime() + ARCHIVE_AFTER_DAYS * DAY_MS + 60_000);

    // While each archive is written: an evaluation of the refused case (a new version), an audit entry on the abandoned one (no new version).
    const racing = interleaved(stack.fileStore, {
      before: async () => {
        if (!(await stack.store.get(refusedLate))!.evaluation) await stack.workflow.evaluate(refusedLate, 2, null, 'applicant');
        await stack.store.appendEvent(abandonedLate, { type: 'PERSONAL_DATA_READ', at: now.toISOString(), actor: 'test', data: {} });
      },
    });
    expect(await archiveRun(new CaseStore(stack.redis, getDefaultCalendar(), new CaseArchives(racing)))).toEqual({ archived: 0, conflicts: 2 });
    expect(racing.written).toHaveLength(2);
    expect(await stubOf(refusedLate)).toBeNull();
    expect(await stubOf(abandonedLate)).toBeNull();
    expect((await stack.store.get(refusedLate))!.evaluation).toMatchObject({ score: 2 });
    expect((await stack.store.events(abandonedLate)).at(-1)!.type).toBe('PERSONAL_DATA_READ');

    // The evaluation restarted the refused case's days; the abandoned one is due still. A worker killed after writing its archive leaves it whole.
    const crashing = interleaved(stack.fileStore, { crashAfter: true });
    await expect(archiveRun(new CaseStore(stack.redis, getDefaultCalendar(), new CaseArchives(crashing)))).rejects.toThrow('worker killed');
    expect(crashing.written).toHaveLength(1);
    expect(await stubOf(abandonedLate)).toBeNull();
    const events = await stack.store.events(abandonedLate);

    expect(await archiveRun()).toEqual({ archived: 1, conflicts: 0 });
    const { stub } = (await stubOf(abandonedLate))!;
    expect(stub.archive.sha256).toBe(crashing.written[0]);
    expect((await readArchive(stub.archive.sha256)).events).toEqual(events);
    expect(await stack.store.events(abandonedLate)).toEqual(events);
    expect(await stubOf(refusedLate)).toBeNull();
  });

  it('reads an archive that is gone as an error, not as a case missing its fields', async () => {
    const { stub } = (await stubOf(abandoned))!;
    const reader = new CaseStore(stack.redis, getDefaultCalendar(), new CaseArchives(stack.fileStore));
    expect(await stack.fileStore.delete(stub.archive.sha256)).toBe(true);
    await expect(reader.get(abandoned)).rejects.toMatchObject({ code: 'CASE.ARCHIVE_UNREADABLE' });
    await expect(reader.events(abandoned)).rejects.toMatchObject({ code: 'CASE.ARCHIVE_UNREADABLE' });
  });

  it('archives to S3 as to disk: the same document under its digest, read back the same', async () => {
    at('2026-06-01T10:00:00+08:00');
    const no = (await gql(RECEIVE, { input: input(SICHUAN_WATER, allMaterials(SICHUAN_WATER).slice(1)) })).receiveApplication.businessNo;
    at('2026-06-15T09:30:00+08:00');
    const late = await stack.query('mutation ($no: ID!, $m: [MaterialInput!]!) { resubmitCorrections(businessNo: $no, materials: $m) { __typename } }', { no, m: allMaterials(SICHUAN_WATER) });
    expect(late.errors?.[0]?.extensions?.code).toBe('CASE.CORRECTION_DEADLINE_PASSED');
    const before = await caseOf(no);
    const record = await stack.store.get(no);
    at(now.getTime() + ARCHIVE_AFTER_DAYS * DAY_MS + 60_000);
    const s3 = await startTestS3();
    try {
      const bucket = new S3FileStore(s3.client, s3.settings.bucket);
      // This case, and the refused one of the test before, due since its evaluation.
      expect(await archiveRun(new CaseStore(stack.redis, getDefaultCalendar(), new CaseArchives(bucket)))).toEqual({ archived: 2, conflicts: 0 });
      const { stub } = (await stubOf(no))!;
      expect(await bucket.stat(stub.archive.sha256)).toEqual(stub.archive);
      expect(await s3.keys()).toContainEqual(expect.stringContaining(stub.archive.sha256));
      const reader = new CaseStore(stack.redis, getDefaultCalendar(), new CaseArchives(bucket));
      expect(await reader.get(no)).toEqual({ ...record, version: record!.version + 1, archive: stub.archive });
      const document = JSON.parse((await readBounded(await bucket.get(stub.archive.sha256), 1 << 24)).toString('utf8')) as CaseArchiveDocument;
      expect(document).toMatchObject({ format: CASE_ARCHIVE_FORMAT, record });
      // The gateway's stack reads the disk store, where this archive is not: it says so rather than answering half a case.
      const answer = await stack.query(CASE, { no });
      expect(answer.errors?.[0]?.extensions?.code).toBe('CASE.ARCHIVE_UNREADABLE');
      expect(before.stage).toBe('ABANDONED');
    } finally {
      await s3.close();
    }
  });
});
