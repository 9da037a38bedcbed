import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { shanghaiDateOf } from '../../domain/calendar/index.js';
import { evaluateClock } from '../../domain/clock/index.js';
import { PARTITION_TAGS, partitionOfCase, partitionOfDivision } from '../../ledger/cases/case-partitions.js';
import type { CaseRecord } from '../../ledger/cases/case.model.js';
import { parseStatisticsField } from '../../ledger/cases/case-statistics.js';
import { getDefaultCalendar } from '../../domain/calendar/index.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const ITEM = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
/** Receiving windows of six Chongqing divisions, which the partitioning spreads over several partitions. */
const WINDOWS = ['W-500000-01', 'W-500101-01', 'W-500103-01', 'W-500105-01', 'W-500106-01', 'W-500107-01'];
const CASES = 36;

/** As one index ordered them before the ledger was partitioned: newest first, ties by business number, highest first. */
const newestFirst = (a: CaseRecord, b: CaseRecord) => Date.parse(b.appliedAt) - Date.parse(a.appliedAt) || (a.businessNo < b.businessNo ? 1 : -1);

describe('the ledger in partitions', () => {
  let stack: TestStack;
  let now = new Date('2025-11-24T09:00:00+08:00');
  let cases: CaseRecord[];

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now });
    const start = now.getTime();
    for (let i = 0; i < CASES; i++) {
      // Two of every three cases share their time with another: the merge must order ties as one index did.
      now = new Date(start + Math.floor(i / 3) * 60_000);
      const windowId = WINDOWS[i % WINDOWS.length]!;
      const materials = ITEM.materials.map(({ name, form, copies }) => ({ name, form, copies }));
      await stack.workflow.receiveApplication(
        {
          windowId,
          itemCode: ITEM.code,
          applicant: { kind: 'ORGANISATION', name: `分区测试公司${i}`, idNumber: '91350100M000100Y43' },
          contact: { name: '赵工', phone: '13812345678' },
          delivery: { method: 'PICKUP' },
          // Every fifth case lacks a material: a deficient case, in a stage of its own.
          materials: i % 5 === 0 ? materials.slice(1) : materials,
          handler: '李四',
        },
        'test',
      );
    }
    cases = (await stack.store.list({}, 0, 1000)).cases;
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('spreads the cases over partitions by their receiving division', () => {
    expect(cases).toHaveLength(CASES);
    const used = new Set(cases.map((record) => partitionOfCase(record.businessNo)));
    expect(used.size).toBeGreaterThanOrEqual(4);
    for (const record of cases) expect(partitionOfCase(record.businessNo)).toBe(partitionOfDivision(record.receivingDivisionCode));
    expect(PARTITION_TAGS.every((tag) => /^\{L\d{2}\}$/.test(tag))).toBe(true);
  });

  it('lists and pages across partitions in the order one index gave', async () => {
    const expected = [...cases].sort(newestFirst).map((record) => record.businessNo);
    expect(cases.map((record) => record.businessNo)).toEqual(expected);
    const paged: string[] = [];
    for (let offset = 0; offset < CASES + 7; offset += 7) {
      const page = await stack.store.list({}, offset, 7);
      expect(page.total).toBe(CASES);
      paged.push(...page.cases.map((record) => record.businessNo));
    }
    expect(paged).toEqual(expected);
  });

  it('filters by window, stage and time across partitions as the cases say', async () => {
    const ordered = [...cases].sort(newestFirst);
    for (const windowId of WINDOWS) {
      const page = await stack.store.list({ windowId }, 0, 100);
      const expected = ordered.filter((record) => record.receivingWindowId === windowId || record.jurisdictionWindowId === windowId);
      expect(page.cases.map((record) => record.businessNo)).toEqual(expected.map((record) => record.businessNo));
      expect(page.total).toBe(expected.length);
    }
    for (const stage of ['RECEIVED', 'DEFICIENT'] as const) {
      const expected = ordered.filter((record) => record.stage === stage);
      expect(expected.length).toBeGreaterThan(0);
      const page = await stack.store.list({ stage }, 2, 5);
      expect(page.cases.map((record) => record.businessNo)).toEqual(expected.slice(2, 7).map((record) => record.businessNo));
      expect(page.total).toBe(expected.length);
    }
    const from = Date.parse(ordered[20]!.appliedAt);
    const to = Date.parse(ordered[5]!.appliedAt);
    const inRange = ordered.filter((record) => Date.parse(record.appliedAt) >= from && Date.parse(record.appliedAt) <= to);
    const ranged = await stack.store.list({ appliedFrom: from, appliedTo: to }, 0, 100);
    expect(ranged.cases.map((record) => record.businessNo)).toEqual(inRange.map((record) => record.businessNo));
    // Every case here was handed in in Chongqing: the region's own index, read a page at a time.
    const region = await stack.store.list({ region: 'CHONGQING', appliedTo: to }, 3, 10);
    const upTo = ordered.filter((record) => Date.parse(record.appliedAt) <= to);
    expect(region.cases.map((record) => record.businessNo)).toEqual(upTo.slice(3, 13).map((record) => record.businessNo));
    expect(region.total).toBe(upTo.length);
    const regional = await stack.store.list({ region: 'CHONGQING', stage: 'RECEIVED', appliedFrom: from }, 0, 100);
    expect(regional.cases.map((record) => record.businessNo)).toEqual(
      ordered.filter((record) => record.stage === 'RECEIVED' && Date.parse(record.appliedAt) >= from).map((record) => record.businessNo),
    );
  });

  it('gives the most urgent clocks first across partitions', async () => {
    const calendar = getDefaultCalendar();
    const later = new Date('2026-03-02T10:00:00+08:00');
    const running = cases.filter((record) => record.clock.phase === 'RUNNING');
    expect(running.length).toBeGreaterThan(0);
    const due = (record: CaseRecord) => Date.parse(evaluateClock(record.clock, record.item.promisedLimitDays, later.toISOString(), calendar).dueAt!);
    const expected = [...running].sort((a, b) => due(a) - due(b) || (a.businessNo < b.businessNo ? -1 : 1)).map((record) => record.businessNo);
    const overdue = await stack.store.list({ clockStatus: 'OVERDUE' }, 0, 100, later);
    expect(overdue.cases.map((record) => record.businessNo)).toEqual(expected);
    const second = await stack.store.list({ clockStatus: 'OVERDUE', windowId: WINDOWS[1] }, 1, 3, later);
    const ofWindow = expected.filter((businessNo) => cases.find((record) => record.businessNo === businessNo)!.receivingWindowId === WINDOWS[1]);
    expect(second.cases.map((record) => record.businessNo)).toEqual(ofWindow.slice(1, 4));
    expect(second.total).toBe(ofWindow.length);
  });

  it('walks every case of a stage once, partition by partition', async () => {
    const walked: string[] = [];
    for await (const page of stack.store.eachInStage('RECEIVED', 4)) {
      expect(page.length).toBeLessThanOrEqual(4);
      walked.push(...page.map((record) => record.businessNo));
    }
    const expected = cases.filter((record) => record.stage === 'RECEIVED').map((record) => record.businessNo);
    expect(walked.sort()).toEqual(expected.sort());
  });

  it("sums the day's counters of every partition", async () => {
    const [day] = await stack.store.statistics([shanghaiDateOf(cases[0]!.appliedAt)]);
    const total = (metric: string) =>
      Object.entries(day!)
        .filter(([field]) => parseStatisticsField(field).metric === metric)
        .reduce((sum, [, value]) => sum + Number(value), 0);
    expect(total('received')).toBe(cases.filter((record) => record.stage === 'RECEIVED').length);
    expect(total('deficient')).toBe(cases.filter((record) => record.stage === 'DEFICIENT').length);
  });
});
