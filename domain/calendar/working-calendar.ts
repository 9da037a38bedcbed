import { CalendarYearNotPublishedError, InvalidWorkingDaysError } from './calendar.errors.js';
import { validateCalendarOverrides, validateYearNotices, type YearNotice } from './calendar-notice.js';
import { civilOfEpochDay, epochDayOf, formatEpochDay, isWeekendEpochDay, parseCivilDate } from './civil-date.js';

export type DayKind = 'WORKDAY' | 'WEEKEND' | 'HOLIDAY' | 'MAKEUP_WORKDAY';

export interface DayKindInfo {
  readonly kind: DayKind;
  /** The holiday a statutory day off or a make-up working day belongs to (e.g. 春节), when the notice names it. */
  readonly name: string | null;
}

/**
 * China's official working-day calendar. Dates are Asia/Shanghai civil dates
 * 'YYYY-MM-DD'. Every method throws `InvalidDateError` for a malformed date and
 * `CalendarYearNotPublishedError` when it would have to look at a year no notice covers.
 */
export interface WorkingCalendar {
  readonly publishedYears: readonly number[];
  isYearPublished(year: number): boolean;
  dayKind(date: string): DayKindInfo;
  isWorkingDay(date: string): boolean;
  /**
   * The date on which the n-th working day after `date` ends: `date` itself is not
   * counted, each later working day counts once; n = 0 returns `date`.
   */
  addWorkingDays(date: string, n: number): string;
  /** Working days in the half-open range (from, to]; 0 when to ≤ from. */
  workingDaysBetween(from: string, to: string): number;
  /** The first working day strictly after `date`. */
  nextWorkingDay(date: string): string;
}

const WORKDAY: DayKindInfo = Object.freeze({ kind: 'WORKDAY', name: null });
const WEEKEND: DayKindInfo = Object.freeze({ kind: 'WEEKEND', name: null });

/**
 * Builds a calendar from base notices (the `chinese-days` package data) and ops'
 * overrides. An override year replaces every base entry of that year's notice
 * (its New Year entries of the December before included), because a notice is
 * the complete arrangement for its year: merging day by day could never remove a
 * day that a corrected notice dropped.
 */
export function buildWorkingCalendar(
  base: readonly YearNotice[],
  overrides: readonly YearNotice[] = [],
): WorkingCalendar {
  const baseNotices = validateYearNotices(base, 'base calendar');
  const overrideNotices = validateCalendarOverrides(overrides);
  const overrideYears = new Set(overrideNotices.map((notice) => notice.year));

  const listed = new Map<string, { isOffDay: boolean; name: string }>();
  for (const notice of baseNotices) {
    if (overrideYears.has(notice.year)) continue;
    for (const day of notice.days) listed.set(day.date, day);
  }
  for (const notice of overrideNotices) {
    for (const day of notice.days) listed.set(day.date, day);
  }

  const published = new Set([...baseNotices.map((notice) => notice.year), ...overrideYears]);
  return new TableCalendar(published, listed);
}

/**
 * Precomputes one row per day over the published span so that every query is a
 * hash lookup plus array reads: deadline alerts evaluate every open case on each
 * run, and a day-by-day walk per case would grow with the limit and the caseload.
 */
class TableCalendar implements WorkingCalendar {
  readonly publishedYears: readonly number[];
  private readonly published: ReadonlySet<number>;
  private readonly firstEpochDay: number;
  /** Row of every day in a published year, by its canonical date string. */
  private readonly rowByDate = new Map<string, number>();
  private readonly dates: string[] = [];
  private readonly infos: DayKindInfo[] = [];
  /** workingBefore[i] = working days in rows [0, i); unpublished days count as non-working. */
  private readonly workingBefore: Int32Array;
  /** unpublishedBefore[i] = days of unpublished years in rows [0, i), to refuse ranges that cross a gap. */
  private readonly unpublishedBefore: Int32Array;
  /** workingRows[k] = row of the (k+1)-th working day, so addWorkingDays is a direct index. */
  private readonly workingRows: Int32Array;

  constructor(published: ReadonlySet<number>, listed: ReadonlyMap<string, { isOffDay: boolean; name: string }>) {
    this.published = published;
    this.publishedYears = Object.freeze([...published].sort((a, b) => a - b));
    const firstYear = this.publishedYears[0] ?? 0;
    const lastYear = this.publishedYears.at(-1) ?? -1;
    this.firstEpochDay = epochDayOf(firstYear, 1, 1);
    const rows = this.publishedYears.length === 0 ? 0 : epochDayOf(lastYear, 12, 31) - this.firstEpochDay + 1;

    this.workingBefore = new Int32Array(rows + 1);
    this.unpublishedBefore = new Int32Array(rows + 1);
    const workingRows: number[] = [];
    for (let row = 0; row < rows; row++) {
      const epochDay = this.firstEpochDay + row;
      const date = formatEpochDay(epochDay);
      const isPublished = published.has(civilOfEpochDay(epochDay).year);
      const info = classify(epochDay, listed.get(date));
      const working = isPublished && (info.kind === 'WORKDAY' || info.kind === 'MAKEUP_WORKDAY');
      this.dates.push(date);
      this.infos.push(info);
      if (isPublished) this.rowByDate.set(date, row);
      if (working) workingRows.push(row);
      this.workingBefore[row + 1] = this.workingBefore[row]! + (working ? 1 : 0);
      this.unpublishedBefore[row + 1] = this.unpublishedBefore[row]! + (isPublished ? 0 : 1);
    }
    this.workingRows = Int32Array.from(workingRows);
  }

  isYearPublished(year: number): boolean {
    return this.published.has(year);
  }

  dayKind(date: string): DayKindInfo {
    return this.infos[this.rowOf(date)]!;
  }

  isWorkingDay(date: string): boolean {
    const row = this.rowOf(date);
    return this.workingBefore[row + 1]! > this.workingBefore[row]!;
  }

  addWorkingDays(date: string, n: number): string {
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidWorkingDaysError(n);
    const from = this.rowOf(date);
    if (n === 0) return this.dates[from]!;
    const k = this.workingBefore[from + 1]! + n - 1;
    const to = this.workingRows[k];
    if (to === undefined || this.unpublishedBefore[to + 1]! > this.unpublishedBefore[from]!) {
      throw new CalendarYearNotPublishedError(this.firstUnpublishedYearAfter(from));
    }
    return this.dates[to]!;
  }

  workingDaysBetween(from: string, to: string): number {
    const a = this.rowOf(from);
    const b = this.rowOf(to);
    if (b <= a) return 0;
    if (this.unpublishedBefore[b + 1]! > this.unpublishedBefore[a]!) {
      throw new CalendarYearNotPublishedError(this.firstUnpublishedYearAfter(a));
    }
    return this.workingBefore[b + 1]! - this.workingBefore[a + 1]!;
  }

  nextWorkingDay(date: string): string {
    return this.addWorkingDays(date, 1);
  }

  private rowOf(date: string): number {
    const row = this.rowByDate.get(date);
    if (row !== undefined) return row;
    throw new CalendarYearNotPublishedError(parseCivilDate(date).year);
  }

  private firstUnpublishedYearAfter(row: number): number {
    let year = civilOfEpochDay(this.firstEpochDay + row).year + 1;
    while (this.published.has(year)) year++;
    return year;
  }
}

function classify(epochDay: number, listed: { isOffDay: boolean; name: string } | undefined): DayKindInfo {
  const weekend = isWeekendEpochDay(epochDay);
  if (!listed) return weekend ? WEEKEND : WORKDAY;
  if (listed.isOffDay) return Object.freeze({ kind: 'HOLIDAY', name: listed.name });
  // A working day listed on Monday–Friday is an ordinary working day the notice happens to name.
  return Object.freeze({ kind: weekend ? 'MAKEUP_WORKDAY' : 'WORKDAY', name: listed.name });
}
