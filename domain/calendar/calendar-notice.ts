import { InvalidCalendarNoticeError } from './calendar.errors.js';
import { tryParseCivilDate } from './civil-date.js';

/**
 * One year's holiday arrangement in the machine format the official State Council
 * notices are commonly republished in: every statutory day off (including the
 * weekend days inside a break) and every make-up working day (调休上班). Such files
 * also list some Monday–Friday working days explicitly (2020-02-03, the first day
 * back after the extended 2020 Spring Festival): they are working days anyway,
 * and are accepted as such; only a date listed both off and working is refused.
 */
export interface NoticeDay {
  readonly name: string;
  readonly date: string;
  readonly isOffDay: boolean;
}

export interface YearNotice {
  readonly year: number;
  /** Which notice (文号) the entries come from, and why it overrides the base data. */
  readonly source?: string;
  readonly days: readonly NoticeDay[];
}

/**
 * Checks data typed in by ops (or shipped by a package) before it can move a
 * single deadline. Returns the notices in a fresh, frozen copy; throws
 * `InvalidCalendarNoticeError` listing every issue found.
 */
export function validateYearNotices(input: unknown, source: string): YearNotice[] {
  const issues: string[] = [];
  if (!Array.isArray(input)) {
    throw new InvalidCalendarNoticeError(source, ['顶层应为数组: [{ "year": 2027, "days": [{ "name", "date", "isOffDay" }] }]']);
  }
  const notices: YearNotice[] = [];
  const seenYears = new Set<number>();
  const offDayByDate = new Map<string, { isOffDay: boolean; at: string }>();

  input.forEach((entry: unknown, i) => {
    const at = `[${i}]`;
    if (!isRecord(entry)) {
      issues.push(`${at}: 应为对象 { year, days }`);
      return;
    }
    const { year, days } = entry;
    if (typeof year !== 'number' || !Number.isInteger(year) || year < 1000 || year > 9999) {
      issues.push(`${at}.year: 应为四位整数年份，实际为 ${JSON.stringify(year)}`);
      return;
    }
    if (seenYears.has(year)) issues.push(`${at}.year: ${year} 年重复出现`);
    seenYears.add(year);
    if (!Array.isArray(days)) {
      issues.push(`${at}.days: 应为数组`);
      return;
    }
    const seenDates = new Set<string>();
    const validDays: NoticeDay[] = [];
    days.forEach((day: unknown, j) => {
      const dayAt = `${at}.days[${j}]`;
      const checked = checkDay(day, year, dayAt, issues);
      if (!checked) return;
      if (seenDates.has(checked.date)) {
        issues.push(`${dayAt}.date: ${checked.date} 在 ${year} 年中重复出现`);
        return;
      }
      seenDates.add(checked.date);
      const earlier = offDayByDate.get(checked.date);
      if (earlier && earlier.isOffDay !== checked.isOffDay) {
        issues.push(`${dayAt}: ${checked.date} 与 ${earlier.at} 相矛盾（一处放假，一处上班）`);
        return;
      }
      offDayByDate.set(checked.date, { isOffDay: checked.isOffDay, at: dayAt });
      validDays.push(Object.freeze({ ...checked }));
    });
    const { source: noticeSource } = entry;
    if (noticeSource !== undefined && (typeof noticeSource !== 'string' || noticeSource.length > 500)) {
      issues.push(`${at}.source: 应为不超过 500 字的字符串（通知文号与说明）`);
    }
    const described = typeof noticeSource === 'string' ? { source: noticeSource } : {};
    notices.push(Object.freeze({ year, ...described, days: Object.freeze(validDays) }));
  });

  if (issues.length > 0) throw new InvalidCalendarNoticeError(source, issues);
  return notices;
}

/**
 * Every annual notice arranges at least 春节 and 国庆节. An override that lacks
 * either is not that year's notice — an empty `days` would silently turn the
 * whole year into plain weeks, the guess DESIGN.md forbids — so it is refused.
 */
const REQUIRED_HOLIDAYS = [
  ['春节', /春节|spring festival/i],
  ['国庆节', /国庆|national day/i],
] as const;

/** Notices typed in by ops: valid, and each the whole arrangement of its year. */
export function validateCalendarOverrides(input: unknown): YearNotice[] {
  const source = 'calendar overrides';
  const notices = validateYearNotices(input, source);
  const issues = notices.flatMap((notice) =>
    REQUIRED_HOLIDAYS.filter(([, pattern]) => !notice.days.some((day) => day.isOffDay && pattern.test(day.name))).map(
      ([name]) => `${notice.year} 年: 缺少${name}放假安排，不是完整的年度节假日通知（覆盖文件须载明该年通知的全部安排）`,
    ),
  );
  if (issues.length > 0) throw new InvalidCalendarNoticeError(source, issues);
  return notices;
}

function checkDay(day: unknown, year: number, at: string, issues: string[]): NoticeDay | null {
  if (!isRecord(day)) {
    issues.push(`${at}: 应为对象 { name, date, isOffDay }`);
    return null;
  }
  const { name, date, isOffDay } = day;
  const before = issues.length;
  if (typeof name !== 'string' || name.trim() === '') issues.push(`${at}.name: 应为非空字符串（节日名称）`);
  if (typeof isOffDay !== 'boolean') issues.push(`${at}.isOffDay: 应为 true（放假）或 false（调休上班）`);
  const civil = tryParseCivilDate(date);
  if (!civil) {
    issues.push(`${at}.date: ${JSON.stringify(date)} 不是有效的 YYYY-MM-DD 日期`);
  } else if (!(civil.year === year || (civil.year === year - 1 && civil.month === 12))) {
    // A notice may start its New Year break in the previous December (the 2019 notice
    // gave 2018-12-30 off and made 2018-12-29 a working day); anything further away
    // is a typo in the year.
    issues.push(`${at}.date: ${String(date)} 不属于 ${year} 年的通知（只允许 ${year} 年或 ${year - 1} 年 12 月的日期）`);
  }
  if (issues.length > before || typeof name !== 'string' || typeof date !== 'string' || typeof isOffDay !== 'boolean') {
    return null;
  }
  return { name: name.trim(), date, isOffDay };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The override file after ops load `loaded` into it: a loaded year replaces that
 * year's earlier notice, every other year (corrections of the base data among
 * them) stays.
 */
export function mergeCalendarOverrides(existing: readonly YearNotice[], loaded: readonly YearNotice[]): YearNotice[] {
  const kept = existing.filter((notice) => !loaded.some((next) => next.year === notice.year));
  return validateCalendarOverrides([...kept, ...loaded].sort((a, b) => a.year - b.year));
}
