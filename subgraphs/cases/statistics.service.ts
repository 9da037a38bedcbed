import { InputError } from '../../domain/errors.js';
import type { Region } from '../../domain/region.js';
import { parseStatisticsField, type Metric } from './case-statistics.js';
import type { CaseStore } from './case.store.js';

export interface StatisticsQuery {
  from: string;
  to: string;
  region?: Region;
  department?: string;
  itemCode?: string;
}

const MAX_DAYS = 366;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

type Totals = Map<Metric, number>;

/** Sums the daily counters of a period that match the query, per department when asked. */
async function sumCounters(store: CaseStore, query: StatisticsQuery, byDepartment: boolean): Promise<Map<string, Totals>> {
  const groups = new Map<string, Totals>();
  for (const day of await store.statistics(daysOf(query.from, query.to))) {
    for (const [field, value] of Object.entries(day)) {
      const key = parseStatisticsField(field);
      if (query.region && key.region !== query.region) continue;
      if (query.department && key.department !== query.department) continue;
      if (query.itemCode && key.itemCode !== query.itemCode) continue;
      const group = byDepartment ? key.department : '';
      const totals = groups.get(group) ?? new Map<Metric, number>();
      totals.set(key.metric, (totals.get(key.metric) ?? 0) + Number(value));
      groups.set(group, totals);
    }
  }
  return groups;
}

/** The supervision figures of seed 003 for a period, summed from the daily counters. */
export async function periodStatistics(store: CaseStore, query: StatisticsQuery, now: Date) {
  const totals = (await sumCounters(store, query, false)).get('') ?? new Map<Metric, number>();
  const overdue = await store.list({ clockStatus: 'OVERDUE', region: query.region }, 0, Number.MAX_SAFE_INTEGER, now);
  const overdueNow = overdue.cases.filter(
    (c) => (!query.department || c.item.department === query.department) && (!query.itemCode || c.itemCode === query.itemCode),
  ).length;
  return { from: query.from, to: query.to, region: query.region ?? null, department: query.department ?? null, itemCode: query.itemCode ?? null, overdueNow, ...figures(totals) };
}

/** Per department, for the weekly report. */
export async function departmentStatistics(store: CaseStore, query: StatisticsQuery) {
  const groups = await sumCounters(store, query, true);
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b, 'zh-CN')).map(([department, totals]) => ({ department, ...figures(totals) }));
}

function figures(totals: Totals) {
  const get = (metric: Metric) => totals.get(metric) ?? 0;
  const ratio = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);
  const average = (stage: 'RECEIVING' | 'TRANSFER' | 'JURISDICTION') =>
    get(`stageCount:${stage}`) === 0 ? null : Math.round((get(`stageDays:${stage}`) / get(`stageCount:${stage}`)) * 100) / 100;

  return {
    received: get('received'),
    deficient: get('deficient'),
    forwarded: get('forwarded'),
    finished: get('finished'),
    finishedWithinLimit: get('finishedWithinLimit'),
    finishedWithinLimitRate: ratio(get('finishedWithinLimit'), get('finished')),
    refused: get('refused'),
    evaluations: get('evaluations'),
    goodEvaluations: get('goodEvaluations'),
    goodRate: ratio(get('goodEvaluations'), get('evaluations')),
    averageScore: get('evaluations') === 0 ? null : Math.round((get('evaluationScore') / get('evaluations')) * 100) / 100,
    averageWorkingDays: { receiving: average('RECEIVING'), transfer: average('TRANSFER'), jurisdiction: average('JURISDICTION') },
  };
}

function daysOf(from: string, to: string): string[] {
  if (!DATE.test(from) || !DATE.test(to) || Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) {
    throw new InputError('INPUT.INVALID_DATE', '统计期间应为 YYYY-MM-DD');
  }
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  const days = Math.round((end - start) / 86_400_000) + 1;
  if (days < 1 || days > MAX_DAYS) throw new InputError('INPUT.INVALID_PERIOD', `统计期间应为 1 至 ${MAX_DAYS} 天`);
  return Array.from({ length: days }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10));
}

/** Monday to Sunday of the week that contains `date`. */
export function weekOf(date: string): { from: string; to: string } {
  const [day] = daysOf(date, date);
  const ms = Date.parse(`${day}T00:00:00Z`);
  const monday = ms - ((new Date(ms).getUTCDay() + 6) % 7) * 86_400_000;
  const iso = (value: number) => new Date(value).toISOString().slice(0, 10);
  return { from: iso(monday), to: iso(monday + 6 * 86_400_000) };
}
