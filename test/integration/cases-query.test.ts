import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { getDefaultCalendar } from '../../domain/calendar/index.js';
import type { Caller } from '../../lib/auth/caller.js';
import { DEFAULT_CALLER, staffAt, startTestStack, type TestStack } from '../support/stack.js';

const ITEM = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const calendar = getDefaultCalendar();

describe('listing cases from the indexes', () => {
  let stack: TestStack;
  let now = new Date('2025-11-24T10:00:00+08:00');
  let businessNo: string;

  const SUPERVISOR: Caller = { subject: 'supervisor-sc', role: 'SUPERVISOR', region: 'SICHUAN', windowId: null };

  const list = async (filter: Record<string, unknown>, caller: Caller = SUPERVISOR) => {
    const result = await stack.as(caller).query<{ cases: { totalCount: number; edges: { node: { businessNo: string } }[] } }>(
      'query ($f: CaseFilter) { cases(filter: $f, first: 10) { totalCount edges { node { businessNo } } } }',
      { f: filter },
    );
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    return result.data!.cases.edges.map((e) => e.node.businessNo);
  };

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now });
    const { record } = await stack.workflow.receiveApplication(
      {
        windowId: 'W-500000-01',
        itemCode: ITEM.code,
        applicant: { kind: 'ORGANISATION', name: '某某有限公司', idNumber: '91350100M000100Y43' },
        contact: { name: '赵工', phone: '13812345678' },
        delivery: { method: 'PICKUP' },
        materials: ITEM.materials.map(({ name, form, copies }) => ({ name, form, copies })),
        handler: '李四',
      },
      'test',
    );
    businessNo = record.businessNo;
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('filters by window, stage and application date', async () => {
    expect(await list({}, DEFAULT_CALLER)).toEqual([businessNo]);
    expect(await list({ windowId: 'W-510000-01', stage: 'RECEIVED' })).toEqual([businessNo]);
    expect(await list({ windowId: 'W-513200-01' })).toEqual([]);
    expect(await list({}, staffAt('W-500101-01'))).toEqual([]);
    expect(await list({ stage: 'IN_TRANSFER' })).toEqual([]);
    expect(await list({ appliedFrom: '2025-11-24T00:00:00+08:00', appliedTo: '2025-11-24T23:59:59+08:00' })).toEqual([businessNo]);
    expect(await list({ appliedFrom: '2025-11-25T00:00:00+08:00' })).toEqual([]);
  });

  it('filters by clock status as time passes, and by the frozen days of a paused clock', async () => {
    const limit = ITEM.promisedLimitDays;
    const dueDate = calendar.addWorkingDays('2025-11-24', limit);
    const dayBeforeDue = calendar.addWorkingDays('2025-11-24', limit - 2);

    now = new Date(`${dayBeforeDue}T12:00:00+08:00`);
    expect(await list({ clockStatus: 'ON_TRACK' }, DEFAULT_CALLER)).toEqual([businessNo]);
    expect(await list({ clockStatus: 'AT_RISK' })).toEqual([]);

    now = new Date(`${calendar.addWorkingDays('2025-11-24', limit - 1)}T12:00:00+08:00`);
    expect(await list({ clockStatus: 'AT_RISK', stage: 'RECEIVED' })).toEqual([businessNo]);
    expect(await list({ clockStatus: 'AT_RISK' }, staffAt('W-500101-01'))).toEqual([]);

    now = new Date(`${calendar.nextWorkingDay(dueDate)}T09:00:00+08:00`);
    expect(await list({ clockStatus: 'OVERDUE' })).toEqual([businessNo]);
    expect(await list({ clockStatus: 'ON_TRACK' })).toEqual([]);

    // Paused the same day it was received: nothing consumed, however long the materials travel.
    now = new Date('2025-11-24T16:00:00+08:00');
    await stack.workflow.dispatchMaterials(businessNo, 'OFFLINE', 'test');
    now = new Date('2026-01-20T10:00:00+08:00');
    expect(await list({ clockStatus: 'ON_TRACK' })).toEqual([businessNo]);
    expect(await list({ clockStatus: 'OVERDUE' })).toEqual([]);
  });

  it('still receives a case whose due date lies in a year with no published calendar', async () => {
    now = new Date('2026-12-28T10:00:00+08:00');
    const { record } = await stack.workflow.receiveApplication(
      {
        windowId: 'W-500000-01',
        itemCode: ITEM.code,
        applicant: { kind: 'ORGANISATION', name: '某某有限公司', idNumber: '91350100M000100Y43' },
        contact: { name: '赵工', phone: '13812345678' },
        delivery: { method: 'PICKUP' },
        materials: ITEM.materials.map(({ name, form, copies }) => ({ name, form, copies })),
        handler: '李四',
      },
      'test',
    );
    const result = await stack.query('query ($no: ID!) { case(businessNo: $no) { stage clock { dueAt } } }', { no: record.businessNo });
    expect(result.data).toEqual({ case: { stage: 'RECEIVED', clock: null } });
    expect(result.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['case', 'clock'], 'CALENDAR.YEAR_NOT_PUBLISHED']]);
  });
});
