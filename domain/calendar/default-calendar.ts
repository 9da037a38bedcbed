import { createRequire } from 'node:module';
import { InvalidCalendarNoticeError } from './calendar.errors.js';
import { validateCalendarOverrides, validateYearNotices, type NoticeDay, type YearNotice } from './calendar-notice.js';
import { buildWorkingCalendar, type WorkingCalendar } from './working-calendar.js';

/*
 * Static data is loaded with `require` because the package's ESM entry does not
 * export its JSON, and JSON import attributes are handled differently by tsx,
 * vitest and tsc; `require` of a JSON file behaves the same under all three.
 */
const require = createRequire(import.meta.url);

const CHINESE_DAYS_SOURCE = 'chinese-days/dist/chinese-days.json';

/**
 * The `chinese-days` package data (2004 onwards, as far as the installed version
 * reaches) as year notices. Its entries read "English,中文,n"; the Chinese name is
 * what appears on notices for window staff.
 */
export function chineseDaysNotices(): YearNotice[] {
  const data: unknown = require(CHINESE_DAYS_SOURCE);
  const holidays = stringRecordAt(data, 'holidays');
  const workdays = stringRecordAt(data, 'workdays');
  if (!holidays || !workdays) {
    throw new InvalidCalendarNoticeError(CHINESE_DAYS_SOURCE, ['缺少 holidays / workdays 对象，chinese-days 的数据格式可能已变化']);
  }
  const byYear = new Map<number, NoticeDay[]>();
  const add = (entries: Record<string, string>, isOffDay: boolean): void => {
    for (const [date, label] of Object.entries(entries)) {
      // A New Year break that starts in December is arranged by the next year's notice (2006-12-30 is in the 2007 notice).
      const year = Number(date.slice(0, 4)) + (date.slice(5, 7) === '12' && label.includes('元旦') ? 1 : 0);
      const days = byYear.get(year) ?? [];
      days.push({ date, isOffDay, name: label.split(',')[1] ?? label });
      byYear.set(year, days);
    }
  };
  add(holidays, true);
  add(workdays, false);
  const notices = [...byYear].map(([year, days]) => ({ year, days }));
  return validateYearNotices(notices, CHINESE_DAYS_SOURCE);
}

/** The override file shipped in domain/data, where ops put a newly published notice. */
export function shippedCalendarOverrides(): YearNotice[] {
  return validateCalendarOverrides(require('../data/calendar-overrides.json'));
}

let defaultCalendar: WorkingCalendar | undefined;

export function getDefaultCalendar(): WorkingCalendar {
  defaultCalendar ??= buildWorkingCalendar(chineseDaysNotices(), shippedCalendarOverrides());
  return defaultCalendar;
}

function stringRecordAt(data: unknown, key: string): Record<string, string> | null {
  if (typeof data !== 'object' || data === null) return null;
  const value: unknown = (data as Record<string, unknown>)[key];
  if (typeof value !== 'object' || value === null) return null;
  const entries = Object.values(value);
  return entries.every((entry) => typeof entry === 'string') ? (value as Record<string, string>) : null;
}
