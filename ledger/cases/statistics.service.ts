import type { WorkingCalendar } from '../../domain/calendar/index.js';
import { InputError } from '../../domain/errors.js';
import type { Region } from '../../domain/region.js';
import { parseStatisticsField, type AdministrativeLevel, type Metric, type PowerTypeCategory, type StatisticsFieldKey } from './case-statistics.js';
import type { CaseStore } from './case.store.js';

export interface StatisticsQuery {
  from: string;
  to: string;
  region?: Region;
  department?: string;
  itemCode?: string;
  powerType?: PowerTypeCategory;
  level?: AdministrativeLevel;
}

const MAX_DAYS = 366;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

type Totals = Map<Metric, number>;

/**
 * Sums the daily counters of a period that match the query, grouped as asked: one
 * pipelined read of the period's daily hashes, never a scan of cases.
 */
async function sumCounters(
  store: CaseStore,
  query: StatisticsQuery,
  groupOf: (key: StatisticsFieldKey, date: string) => string = () => '',
): Promise<Map<string, Totals>> {
  const groups = new Map<string, Totals>();
  const dates = daysOf(query.from, query.to);
  for (const [i, day] of (await store.statistics(dates)).entries()) {
    for (const [field, value] of Object.entries(day)) {
      const key = parseStatisticsField(field);
      if (query.region && key.region !== query.region) continue;
      if (query.department && key.department !== query.department) continue;
      if (query.itemCode && key.itemCode !== query.itemCode) continue;
      if (query.powerType && key.powerType !== query.powerType) continue;
      if (query.level && key.level !== query.level) continue;
      const group = groupOf(key, dates[i]!);
      const totals = groups.get(group) ?? new Map<Metric, number>();
      totals.set(key.metric, (totals.get(key.metric) ?? 0) + Number(value));
      groups.set(group, totals);
    }
  }
  return groups;
}

/** Seed 003's order: 行政许可, 公共服务, 其它九类行权事项. */
const CATEGORIES: readonly PowerTypeCategory[] = ['LICENSING', 'PUBLIC_SERVICE', 'OTHER_POWERS'];

/** The supervision figures of seed 003 for a period, summed from the daily counters. */
export async function periodStatistics(store: CaseStore, query: StatisticsQuery, now: Date) {
  const { totals, byPowerType } = await categoryFigures(store, query);
  const overdue = await store.list({ clockStatus: 'OVERDUE', region: query.region }, 0, Number.MAX_SAFE_INTEGER, now);
  const overdueNow = overdue.cases.filter(
    (c) => (!query.department || c.item.department === query.department) && (!query.itemCode || c.itemCode === query.itemCode),
  ).length;
  return {
    from: query.from,
    to: query.to,
    region: query.region ?? null,
    department: query.department ?? null,
    itemCode: query.itemCode ?? null,
    powerType: query.powerType ?? null,
    level: query.level ?? null,
    overdueNow,
    ...figures(totals),
    byPowerType,
  };
}

/** The totals and the per-category figures (every category listed), from one read. */
export async function categoryFigures(store: CaseStore, query: StatisticsQuery) {
  const byCategory = await sumCounters(store, query, (key) => key.powerType ?? '');
  const totals = new Map<Metric, number>();
  for (const group of byCategory.values()) for (const [metric, value] of group) totals.set(metric, (totals.get(metric) ?? 0) + value);
  return { totals, byPowerType: CATEGORIES.map((powerType) => ({ powerType, ...figures(byCategory.get(powerType) ?? new Map()) })) };
}

/** Per day of the period, every day listed, for the report's chart. */
export async function dailyStatistics(store: CaseStore, query: StatisticsQuery) {
  const groups = await sumCounters(store, query, (_key, date) => date);
  return daysOf(query.from, query.to).map((date) => ({ date, ...figures(groups.get(date) ?? new Map()) }));
}

/** Per department, for the weekly report. */
export async function departmentStatistics(store: CaseStore, query: StatisticsQuery) {
  const groups = await sumCounters(store, query, (key) => key.department);
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
    /** 办件评价率: finished cases the applicant rated. */
    evaluationRate: ratio(get('evaluations'), get('finished')),
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

/** The 通办 weekly report series begins with the week of 2025-01-06; earlier weeks have no issue number. */
const SERIES_FIRST_MONDAY = '2025-01-06';

function mondays(from: string, to: string): string[] {
  const result: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`); ms <= Date.parse(`${to}T00:00:00Z`); ms += 7 * 86_400_000) {
    result.push(new Date(ms).toISOString().slice(0, 10));
  }
  return result;
}

/** The working days of a week (Monday to Sunday), as the calendar has them. */
export function workingDaysOfWeek(monday: string, calendar: WorkingCalendar): string[] {
  return daysOf(monday, weekOf(monday).to).filter((day) => calendar.isWorkingDay(day));
}

/**
 * 第N期（总第M期）: a week with no working day (all of it a holiday) has no issue, so the
 * numbers follow the calendar; N restarts with each year's first week (by its Monday).
 */
export function reportIssue(monday: string, calendar: WorkingCalendar): { year: number; number: number; total: number } {
  if (monday < SERIES_FIRST_MONDAY) throw new InputError('INPUT.INVALID_PERIOD', `周报从 ${SERIES_FIRST_MONDAY} 所在周开始编号`);
  const issued = (weeks: string[]) => weeks.filter((week) => workingDaysOfWeek(week, calendar).length > 0).length;
  const year = Number(monday.slice(0, 4));
  const firstOfYear = weekOf(`${year}-01-01`).from;
  const yearStart = firstOfYear.startsWith(String(year)) ? firstOfYear : weekOf(`${year}-01-07`).from;
  return { year, number: issued(mondays(yearStart, monday)), total: issued(mondays(SERIES_FIRST_MONDAY, monday)) };
}
