import { CalendarYearNotPublishedError, shanghaiDateOf, type WorkingCalendar } from '../../domain/calendar/index.js';
import { finishedWithinLimit } from '../../domain/clock/index.js';
import type { CaseRecord } from './case.model.js';

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

export const statisticsKey = (date: string) => `stats:${date}`;

/** One hash per day; a field per metric and (owning region, department, item). */
export function statisticsField(metric: Metric, record: Pick<CaseRecord, 'jurisdictionRegion' | 'item' | 'itemCode'>): string {
  return `${metric}|${record.jurisdictionRegion}|${record.item.department}|${record.itemCode}`;
}

export function parseStatisticsField(field: string): { metric: Metric; region: string; department: string; itemCode: string } {
  const [metric, region, department, itemCode] = field.split('|');
  return { metric: metric as Metric, region: region!, department: department!, itemCode: itemCode! };
}

/** What a change from `previous` (null: a new case) to `next` adds to the day's figures. */
export function statisticsDeltas(previous: CaseRecord | null, next: CaseRecord, calendar: WorkingCalendar): CounterDelta[] {
  const key = statisticsKey(shanghaiDateOf(next.updatedAt));
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
