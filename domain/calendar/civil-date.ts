import { InvalidDateError } from './calendar.errors.js';

/**
 * Civil dates ('YYYY-MM-DD', no time zone) and their epoch-day numbers (days since
 * 1970-01-01). Plain integer arithmetic (H. Hinnant's algorithms) instead of `Date`,
 * because `Date.UTC` maps years 0–99 to the 1900s and silently rolls 02-30 into March.
 */

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export function epochDayOf(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

export function civilOfEpochDay(epochDay: number): CivilDate {
  const z = epochDay + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** 0 = Sunday … 6 = Saturday, like `Date#getDay`. 1970-01-01 was a Thursday. */
export function weekdayOfEpochDay(epochDay: number): number {
  return (((epochDay + 4) % 7) + 7) % 7;
}

export function isWeekendEpochDay(epochDay: number): boolean {
  const weekday = weekdayOfEpochDay(epochDay);
  return weekday === 0 || weekday === 6;
}

/** `null` for anything but a real calendar date in 'YYYY-MM-DD' form. */
export function tryParseCivilDate(value: unknown): CivilDate | null {
  const match = typeof value === 'string' ? DATE_PATTERN.exec(value) : null;
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return { year, month, day };
}

/** Throws `InvalidDateError` (INPUT.INVALID_DATE) for anything but a real calendar date. */
export function parseCivilDate(value: unknown): CivilDate {
  const civil = tryParseCivilDate(value);
  if (!civil) throw new InvalidDateError(value);
  return civil;
}

export function epochDayOfDate(value: string): number {
  const { year, month, day } = parseCivilDate(value);
  return epochDayOf(year, month, day);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOfDate(value: string): number {
  return weekdayOfEpochDay(epochDayOfDate(value));
}

export function formatEpochDay(epochDay: number): string {
  const { year, month, day } = civilOfEpochDay(epochDay);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
