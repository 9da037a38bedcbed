import { shanghaiDateOf, type WorkingCalendar } from '../../domain/calendar/index.js';
import type { Region } from '../../domain/region.js';
import type { CaseStore } from '../../ledger/cases/case.store.js';
import { categoryFigures, dailyStatistics, departmentStatistics, periodStatistics, reportIssue, weekOf, workingDaysOfWeek } from '../../ledger/cases/statistics.service.js';
import { renderWeeklyReport } from './weekly-report.renderer.js';

/**
 * The weekly report of the week containing `date`: figures of Monday to Sunday (a Saturday
 * hall's receipts count in their week), the period printed as its first to last working
 * day as seed 003 does, and the year to date at 省本级 up to that last working day. Every
 * figure comes from the daily counters, read once per period.
 */
export async function weeklyReportPage(deps: { store: CaseStore; calendar: WorkingCalendar; now: Date }, region: Region, date: string): Promise<string> {
  const week = weekOf(date);
  const working = workingDaysOfWeek(week.from, deps.calendar);
  const period = working.length ? { from: working[0]!, to: working.at(-1)! } : week;
  const query = { ...week, region };
  const yearStart = `${period.to.slice(0, 4)}-01-01`;
  const [totals, departments, daily, yearToDate] = await Promise.all([
    periodStatistics(deps.store, query, deps.now),
    departmentStatistics(deps.store, query),
    dailyStatistics(deps.store, query),
    categoryFigures(deps.store, { from: yearStart, to: period.to, region, level: 'PROVINCIAL' }),
  ]);
  return renderWeeklyReport({
    region,
    issue: reportIssue(week.from, deps.calendar),
    period,
    issuedOn: shanghaiDateOf(deps.now.toISOString()),
    totals,
    departments,
    daily,
    yearToDate: { from: yearStart, to: period.to, byPowerType: yearToDate.byPowerType },
  });
}
