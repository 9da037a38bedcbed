import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { YUKUAIBAN_CATALOG } from '../../adapters/yukuaiban/yukuaiban.catalog.js';
import { getDefaultCalendar } from '../../domain/calendar/index.js';
import type { CaseEvent, CaseRecord } from '../../ledger/cases/case.model.js';
import { CaseStore } from '../../ledger/cases/case.store.js';
import { CaseArchives } from '../../ledger/cases/case-archive.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { scanMaterials } from '../support/scans.kit.js';

/**
 * The optimistic lock of a case write (CaseStore.update) and the transfer job's
 * write after forwarding (recordForwarded over the record it read first), against
 * real Redis: a change computed from anything but the stored case is refused, and
 * the workflow then reads again, so nothing written in between is lost.
 */
const OFFICE_HOURS = new Date('2025-11-24T10:00:00+08:00');
const ITEM = YUKUAIBAN_CATALOG.find((item) => item.scopes.includes('SICHUAN_CHONGQING'))!;
const ACTOR = 'system:test';

describe('case writes over a read', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ now: () => OFFICE_HOURS, workers: false });
  });

  afterAll(async () => {
    await stack?.close();
  });

  async function dispatchedCase(channel: 'ONLINE' | 'BOTH' = 'ONLINE'): Promise<string> {
    const { record } = await stack.workflow.receiveApplication(
      {
        windowId: 'W-510000-01',
        itemCode: ITEM.code,
        applicant: { kind: 'ORGANISATION', name: '某某工程检测有限公司', idNumber: '91350100M000100Y43' },
        contact: { name: '赵工', phone: '13812345678' },
        delivery: { method: 'PICKUP' },
        materials: ITEM.materials.map(({ name, form, copies }) => ({ name, form, copies })),
        handler: '李四',
      },
      'WINDOW_STAFF:test',
    );
    await scanMaterials(stack, record.businessNo);
    await stack.workflow.dispatchMaterials(record.businessNo, channel, 'WINDOW_STAFF:test');
    return record.businessNo;
  }

  const noted = (record: CaseRecord, note: string): CaseRecord => ({ ...record, version: record.version + 1, updatedAt: OFFICE_HOURS.toISOString(), handler: note });
  const event = (type: string): CaseEvent => ({ type, at: OFFICE_HOURS.toISOString(), actor: ACTOR, data: {} });

  it('writes a change computed from the stored case, and refuses one computed from an older read', async () => {
    const businessNo = await dispatchedCase();
    const first = (await stack.store.get(businessNo))!;
    const second = (await stack.store.get(businessNo))!;
    expect(await stack.store.update(first, noted(first, '张三'), event('TEST_FIRST'))).toEqual({ status: 'WRITTEN' });
    expect(await stack.store.update(second, noted(second, '王五'), event('TEST_SECOND'))).toEqual({ status: 'CONFLICT' });
    expect((await stack.store.get(businessNo))!.handler).toBe('张三');
    expect((await stack.store.events(businessNo)).map((e) => e.type)).not.toContain('TEST_SECOND');
  });

  it('writes a change and the alerts it starts or ends in one script: both or neither', async () => {
    const businessNo = await dispatchedCase();
    const scheduled = async () => (await stack.queues.alerts.scheduled(businessNo)).map((alert) => `${alert.kind}:${alert.level}`).sort();
    expect(await scheduled()).toEqual(['ONLINE_TRANSFER:AT_RISK', 'ONLINE_TRANSFER:OVERDUE']);
    const stale = (await stack.store.get(businessNo))!;
    const current = (await stack.store.get(businessNo))!;
    expect(await stack.store.update(current, noted(current, '张三'), event('TEST_FIRST'))).toEqual({ status: 'WRITTEN' });

    // Forwarded, its scans acknowledged: the online transfer's deadline is met and its alerts end, but only with the write that says so.
    const at = OFFICE_HOURS.toISOString();
    const forwarded = (record: CaseRecord): CaseRecord => ({
      ...noted(record, record.handler),
      scans: record.scans?.map((scan) => ({ ...scan, platformFileId: scan.platformFileId ?? `F-${scan.sha256.slice(0, 8)}`, acknowledgedAt: scan.acknowledgedAt ?? at })),
      transfer: { ...record.transfer!, forwardedAt: at },
    });
    const refused = forwarded(stale);
    expect(stack.queues.alerts.changes(stale, refused).cancel).toHaveLength(2);
    expect(await stack.store.update(stale, refused, event('TEST_FORWARDED'), stack.queues.alerts.changes(stale, refused))).toEqual({ status: 'CONFLICT' });
    expect(await scheduled()).toEqual(['ONLINE_TRANSFER:AT_RISK', 'ONLINE_TRANSFER:OVERDUE']);

    const fresh = (await stack.store.get(businessNo))!;
    const written = forwarded(fresh);
    expect(await stack.store.update(fresh, written, event('TEST_FORWARDED'), stack.queues.alerts.changes(fresh, written))).toEqual({ status: 'WRITTEN' });
    expect(await scheduled()).toEqual([]);
  });

  it('locks on the version when the record was not read by this store', async () => {
    const businessNo = await dispatchedCase();
    const stale = structuredClone((await stack.store.get(businessNo))!);
    const current = (await stack.store.get(businessNo))!;
    expect(await stack.store.update(current, noted(current, '张三'), event('TEST_FIRST'))).toEqual({ status: 'WRITTEN' });
    expect(await stack.store.update(stale, noted(stale, '王五'), event('TEST_SECOND'))).toEqual({ status: 'CONFLICT' });
    const fresh = structuredClone((await stack.store.get(businessNo))!);
    expect(await stack.store.update(fresh, noted(fresh, '赵六'), event('TEST_THIRD'))).toEqual({ status: 'WRITTEN' });
    expect((await stack.store.get(businessNo))!.handler).toBe('赵六');
  });

  it('writes once Redis has forgotten its scripts (after a restart)', async () => {
    const businessNo = await dispatchedCase();
    // Redis itself answers NOSCRIPT: the store asks for a digest no Redis knows, on its own connection or, on a
    // cluster, down the pipeline that carries the write and its WAIT.
    const UNKNOWN = '0'.repeat(40);
    let refused = 0;
    const forgetting = <T extends object>(target: T, wrap: (property: string | symbol, value: unknown, target: T) => unknown): T =>
      new Proxy(target, { get: (target, property, receiver) => wrap(property, Reflect.get(target, property, receiver), target) });
    const forgetfulEvalsha = (property: string | symbol, value: unknown, target: object) =>
      property === 'evalsha'
        ? (_sha: string, ...args: unknown[]) => {
            refused++;
            return (value as (...args: unknown[]) => unknown).call(target, UNKNOWN, ...args);
          }
        : typeof value === 'function'
          ? (value as (...args: unknown[]) => unknown).bind(target)
          : value;
    const forgetful = forgetting(stack.redis, (property, value, target) =>
      property === 'pipeline' ? () => forgetting(target.pipeline(), forgetfulEvalsha) : forgetfulEvalsha(property, value, target),
    ) as Redis;
    const store = new CaseStore(forgetful, getDefaultCalendar(), new CaseArchives(stack.fileStore));
    const current = (await store.get(businessNo))!;
    expect(await store.update(current, noted(current, '张三'), event('TEST_FIRST'))).toEqual({ status: 'WRITTEN' });
    expect(refused).toBe(1);
    expect((await stack.store.get(businessNo))!.handler).toBe('张三');
    expect((await stack.store.events(businessNo)).filter((e) => e.type === 'TEST_FIRST')).toHaveLength(1);
  });

  it('records a forward over a stale read by reading again, keeping what was written in between', async () => {
    const businessNo = await dispatchedCase('BOTH');
    const readByJob = await stack.workflow.get(businessNo);
    // The stack's clock stands still at the dispatch, so the courier's 揽收 can be no later (a later one is bounded to now).
    const collected = OFFICE_HOURS.toISOString();
    await stack.workflow.recordPaperSent(businessNo, collected, 'system:courier');
    const forwarded = await stack.workflow.recordForwarded(businessNo, 'YKB-TEST-1', ACTOR, readByJob);
    expect(forwarded.version).toBe(readByJob.version + 2);
    const stored = (await stack.store.get(businessNo))!;
    expect(stored).toMatchObject({ platformCaseId: 'YKB-TEST-1', transfer: { paperSentAt: collected, forwardedAt: OFFICE_HOURS.toISOString() } });
    const types = (await stack.store.events(businessNo)).map((e) => e.type);
    expect(types.slice(-2)).toEqual(['PAPER_COLLECTED', 'FORWARDED_TO_PLATFORM']);
  });

  it('records a forward over the current read without reading again, once', async () => {
    const businessNo = await dispatchedCase();
    const readByJob = await stack.workflow.get(businessNo);
    const forwarded = await stack.workflow.recordForwarded(businessNo, 'YKB-TEST-2', ACTOR, readByJob);
    expect(forwarded.version).toBe(readByJob.version + 1);
    await stack.workflow.recordForwarded(businessNo, 'YKB-TEST-2', ACTOR, readByJob);
    const events = (await stack.store.events(businessNo)).filter((e) => e.type === 'FORWARDED_TO_PLATFORM');
    expect(events).toHaveLength(1);
    expect((await stack.store.get(businessNo))!.version).toBe(readByJob.version + 1);
  });

  it('ignores a read of another case', async () => {
    const businessNo = await dispatchedCase();
    const other = await dispatchedCase();
    const otherRead = await stack.workflow.get(other);
    await stack.workflow.recordForwarded(businessNo, 'YKB-TEST-3', ACTOR, otherRead);
    expect((await stack.store.get(businessNo))!.platformCaseId).toBe('YKB-TEST-3');
    expect((await stack.store.get(other))!).toEqual(otherRead);
  });
});
