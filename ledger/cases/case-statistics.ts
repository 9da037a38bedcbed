import { CalendarYearNotPublishedError, shanghaiDateOf, type WorkingCalendar } from '../../domain/calendar/index.js';
import { finishedWithinLimit } from '../../domain/clock/index.js';
import type { CaseRecord } from './case.model.js';
import { partitionOfCase } from './case-partitions.js';

/**
 * Supervision figures (seed 003: received, finished, finished within the
 * promised limit, evaluations and good-rate, per region, department and item)
 * are kept as counters, incremented in the same atomic write as the transition
 * that makes them true, so a retried transition never counts twice and a
 * report never scans cases.
 */
export type Metric =
  | 'received'
  | 'deficient'
  | 'forwarded'
  | 'finished'
  | 'finishedWithinLimit'
  | 'refused'
  | 'evaluations'
  | 'goodEvaluations'
  | 'evaluationScore'
  | 'stageDays:RECEIVING'
  | 'stageCount:RECEIVING'
  | 'stageDays:TRANSFER'
  | 'stageCount:TRANSFER'
  | 'stageDays:JURISDICTION'
  | 'stageCount:JURISDICTION';

export interface CounterDelta {
  key: string;
  field: string;
  amount: number;
}

/** A day's counters in one partition (case-partitions.ts): a report sums the partitions. */
export const statisticsKey = (tag: string, date: string) => `stats:${tag}:${date}`;

/** Seed 003 reports 行政许可, 公共服务 and the other nine kinds of 行政权力 (其它九类行权事项) apart. */
export type PowerTypeCategory = 'LICENSING' | 'PUBLIC_SERVICE' | 'OTHER_POWERS';

export function powerTypeCategory(powerType: string): PowerTypeCategory {
  if (powerType === '行政许可') return 'LICENSING';
  if (powerType === '公共服务') return 'PUBLIC_SERVICE';
  return 'OTHER_POWERS';
}

/**
 * 行使层级 of the department that decides, read from the item's division: 省本级 for a province
 * (and for Chongqing, a municipality at provincial level), 市州 for a prefecture, else 县区.
 */
export type AdministrativeLevel = 'PROVINCIAL' | 'PREFECTURAL' | 'COUNTY';

export function administrativeLevel(itemCode: string): AdministrativeLevel {
  const division = itemCode.slice(0, 6);
  if (division.endsWith('0000')) return 'PROVINCIAL';
  if (division.endsWith('00')) return 'PREFECTURAL';
  return 'COUNTY';
}

/**
 * One hash per day; a field per metric and (owning region, department, item, power type
 * category, level). Cases received before the power type was kept count under no category.
 */
export function statisticsField(metric: Metric, record: Pick<CaseRecord, 'jurisdictionRegion' | 'item' | 'itemCode'>): string {
  const category = record.item.powerType === undefined ? '' : powerTypeCategory(record.item.powerType);
  return `${metric}|${record.jurisdictionRegion}|${record.item.department}|${record.itemCode}|${category}|${administrativeLevel(record.itemCode)}`;
}

export interface StatisticsFieldKey {
  metric: Metric;
  region: string;
  department: string;
  itemCode: string;
  powerType: PowerTypeCategory | null;
  level: AdministrativeLevel;
}

/** Fields written before the last two dimensions existed have four parts; their level follows from the item code. */
export function parseStatisticsField(field: string): StatisticsFieldKey {
  const [metric, region, department, itemCode, category] = field.split('|');
  return {
    metric: metric as Metric,
    region: region!,
    department: department!,
    itemCode: itemCode!,
    powerType: (category || null) as PowerTypeCategory | null,
    level: administrativeLevel(itemCode!),
  };
}

/** What a change from `previous` (null: a new case) to `next` adds to the day's figures. */
export function statisticsDeltas(previous: CaseRecord | null, next: CaseRecord, calendar: WorkingCalendar): CounterDelta[] {
  const key = statisticsKey(partitionOfCase(next.businessNo), shanghaiDateOf(next.updatedAt));
  const metrics: [Metric, number][] = [];
  const became = (stage: CaseRecord['stage']) => next.stage === stage && previous?.stage !== stage;

  if (became('RECEIVED')) metrics.push(['received', 1]);
  if (!previous && next.stage === 'DEFICIENT') metrics.push(['deficient', 1]);
  if (next.platformCaseId && !previous?.platformCaseId) metrics.push(['forwarded', 1]);
  if (became('REFUSED')) metrics.push(['refused', 1], ['finished', 1], ['finishedWithinLimit', withinLimit(next, calendar)]);
  if (became('RESULT_DISPATCHED') && previous?.stage !== 'REFUSED') {
    metrics.push(['finished', 1], ['finishedWithinLimit', withinLimit(next, calendar)]);
  }
  if (next.evaluation && !previous?.evaluation) {
    metrics.push(['evaluations', 1], ['evaluationScore', next.evaluation.score], ['goodEvaluations', next.evaluation.score >= 4 ? 1 : 0]);
  }
  if (next.transfer && !previous?.transfer && next.acceptedAt) {
    metrics.push(...stage('RECEIVING', workingDays(calendar, next.acceptedAt, next.transfer.dispatchedAt)));
  }
  if (next.transfer?.receivedAt && !previous?.transfer?.receivedAt) {
    metrics.push(...stage('TRANSFER', workingDays(calendar, next.transfer.dispatchedAt, next.transfer.receivedAt)));
  }
  if (next.result && !previous?.result && next.transfer?.receivedAt) {
    metrics.push(...stage('JURISDICTION', workingDays(calendar, next.transfer.receivedAt, next.result.dispatchedAt)));
  }
  return metrics.filter(([, amount]) => amount !== 0).map(([metric, amount]) => ({ key, field: statisticsField(metric, next), amount }));
}

function stage(name: 'RECEIVING' | 'TRANSFER' | 'JURISDICTION', days: number | null): [Metric, number][] {
  return days === null ? [] : [[`stageDays:${name}`, days], [`stageCount:${name}`, 1]];
}

function workingDays(calendar: WorkingCalendar, from: string, to: string): number | null {
  try {
    return calendar.workingDaysBetween(shanghaiDateOf(from), shanghaiDateOf(to));
  } catch {
    return null;
  }
}

/** 承诺时限内办结, as the clock defines it (`finishedWithinLimit`). */
function withinLimit(record: CaseRecord, calendar: WorkingCalendar): number {
  try {
    return finishedWithinLimit(record.clock, record.item.promisedLimitDays, calendar) ? 1 : 0;
  } catch (error) {
    // A due day in a year without a published notice cannot be known: not counted as within.
    if (error instanceof CalendarYearNotPublishedError) return 0;
    throw error;
  }
}
