import { DomainError, InputError } from '../errors.js';

/**
 * Raised for any date in a year that no official notice covers. Guessing a plain
 * Monday–Friday week there would silently misplace every deadline around the
 * holidays the State Council has not announced yet.
 */
export class CalendarYearNotPublishedError extends DomainError {
  readonly year: number;

  constructor(year: number) {
    super(
      'CALENDAR.YEAR_NOT_PUBLISHED',
      `${year} 年的节假日安排尚未载入，无法计算工作日（calendar year ${year} is not published; load its official notice into the calendar overrides）`,
    );
    this.year = year;
  }
}

export class InvalidDateError extends InputError {
  constructor(value: unknown) {
    super('INPUT.INVALID_DATE', `日期格式不正确: ${JSON.stringify(value)}（应为 YYYY-MM-DD 的有效日期）`);
  }
}

export class InvalidInstantError extends InputError {
  constructor(value: unknown) {
    super(
      'INPUT.INVALID_INSTANT',
      `时间格式不正确: ${describe(value)}（应为带时区的 ISO-8601 时间，如 2025-01-27T09:30:00+08:00）`,
    );
  }
}

export class InvalidWorkingDaysError extends InputError {
  constructor(value: unknown) {
    super('INPUT.INVALID_WORKING_DAYS', `工作日数应为非负整数: ${describe(value)}`);
  }
}

/** Carries every problem found, so ops fix a notice file in one pass rather than one error per reload. */
export class InvalidCalendarNoticeError extends DomainError {
  readonly issues: readonly string[];

  constructor(source: string, issues: readonly string[]) {
    super('CALENDAR.INVALID_NOTICE', `节假日数据无效（${source}）:\n- ${issues.join('\n- ')}`);
    this.issues = issues;
  }
}

function describe(value: unknown): string {
  return value instanceof Date ? `Date(${String(value.getTime())})` : JSON.stringify(value) ?? String(value);
}
