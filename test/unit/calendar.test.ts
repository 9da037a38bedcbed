import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildWorkingCalendar,
  CalendarYearNotPublishedError,
  chineseDaysNotices,
  getDefaultCalendar,
  InvalidCalendarNoticeError,
  shippedCalendarOverrides,
  validateCalendarOverrides,
  mergeCalendarOverrides,
  type WorkingCalendar,
  type YearNotice,
} from '../../domain/calendar/index.js';

const calendar = buildWorkingCalendar(chineseDaysNotices());

/** Test-side day iteration through `Date`, independent of the calendar's own epoch-day code. */
function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

function shiftDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

const FIRST_DAY_MS = Date.parse('2004-01-01T00:00:00Z');
/** Dates from 2004-01-01 to 2025-06-30, leaving room for the arithmetic to stay inside 2026. */
const coveredDate = fc
  .integer({ min: 0, max: (Date.parse('2025-06-30T00:00:00Z') - FIRST_DAY_MS) / 86_400_000 })
  .map((offset) => new Date(FIRST_DAY_MS + offset * 86_400_000).toISOString().slice(0, 10));

function expectNotPublished(run: () => unknown, year: number): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CalendarYearNotPublishedError);
    expect((error as CalendarYearNotPublishedError).code).toBe('CALENDAR.YEAR_NOT_PUBLISHED');
    expect((error as CalendarYearNotPublishedError).name).toBe('CalendarYearNotPublishedError');
    expect((error as CalendarYearNotPublishedError).year).toBe(year);
    expect((error as Error).message).toContain(String(year));
    return;
  }
  throw new Error(`expected CALENDAR.YEAR_NOT_PUBLISHED for ${year}`);
}

describe('official arrangements (State Council notices) as the chinese-days data gives them', () => {
  it('2025 Spring Festival: off 01-28..02-04, make-up working days Sun 01-26 and Sat 02-08', () => {
    for (const date of datesBetween('2025-01-28', '2025-02-04')) {
      expect(calendar.dayKind(date), date).toEqual({ kind: 'HOLIDAY', name: '春节' });
    }
    expect(calendar.dayKind('2025-01-26')).toEqual({ kind: 'MAKEUP_WORKDAY', name: '春节' });
    expect(calendar.dayKind('2025-02-08')).toEqual({ kind: 'MAKEUP_WORKDAY', name: '春节' });
    expect(calendar.dayKind('2025-01-25')).toEqual({ kind: 'WEEKEND', name: null });
    expect(calendar.dayKind('2025-02-09')).toEqual({ kind: 'WEEKEND', name: null });
    expect(calendar.dayKind('2025-01-27')).toEqual({ kind: 'WORKDAY', name: null });
    expect(calendar.dayKind('2025-02-05')).toEqual({ kind: 'WORKDAY', name: null });
  });

  it('2025 National Day + Mid-Autumn: off 10-01..10-08, make-up Sun 09-28 and Sat 10-11', () => {
    const off = datesBetween('2025-10-01', '2025-10-08');
    expect(off.every((date) => calendar.dayKind(date).kind === 'HOLIDAY')).toBe(true);
    expect(calendar.dayKind('2025-10-06')).toEqual({ kind: 'HOLIDAY', name: '中秋' });
    expect(calendar.dayKind('2025-10-01').name).toBe('国庆节');
    expect(calendar.dayKind('2025-09-28')).toEqual({ kind: 'MAKEUP_WORKDAY', name: '国庆节' });
    expect(calendar.dayKind('2025-10-11')).toEqual({ kind: 'MAKEUP_WORKDAY', name: '国庆节' });
    expect(calendar.isWorkingDay('2025-09-30')).toBe(true);
    expect(calendar.isWorkingDay('2025-10-09')).toBe(true);
    expect(calendar.isWorkingDay('2025-10-12')).toBe(false);
  });

  it('2026 Spring Festival: off 02-15..02-23, make-up Sat 02-14 and Sat 02-28', () => {
    for (const date of datesBetween('2026-02-15', '2026-02-23')) {
      expect(calendar.dayKind(date), date).toEqual({ kind: 'HOLIDAY', name: '春节' });
    }
    expect(calendar.dayKind('2026-02-14')).toEqual({ kind: 'MAKEUP_WORKDAY', name: '春节' });
    expect(calendar.dayKind('2026-02-28')).toEqual({ kind: 'MAKEUP_WORKDAY', name: '春节' });
    expect(calendar.isWorkingDay('2026-02-24')).toBe(true);
    expect(calendar.isWorkingDay('2026-03-01')).toBe(false);
  });

  it('covers every year from 2004 through at least 2026 without a gap', () => {
    const years = calendar.publishedYears;
    expect(years[0]).toBe(2004);
    expect(years.at(-1)).toBeGreaterThanOrEqual(2026);
    expect(years).toEqual(Array.from({ length: years.length }, (_, i) => 2004 + i));
  });

  it('agrees day by day with the raw chinese-days JSON (independent oracle)', () => {
    const raw = createRequire(import.meta.url)('chinese-days/dist/chinese-days.json') as {
      holidays: Record<string, string>;
      workdays: Record<string, string>;
    };
    fc.assert(
      fc.property(coveredDate, (date) => {
        const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
        const expected = date in raw.workdays || (!(date in raw.holidays) && weekday !== 0 && weekday !== 6);
        expect(calendar.isWorkingDay(date)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('working-day arithmetic', () => {
  it('counts a Sunday make-up day and skips the 2025 Spring Festival', () => {
    expect(calendar.addWorkingDays('2025-01-24', 1)).toBe('2025-01-26');
    expect(calendar.addWorkingDays('2025-01-24', 2)).toBe('2025-01-27');
    expect(calendar.addWorkingDays('2025-01-24', 3)).toBe('2025-02-05');
    // (01-24, 02-10]: 01-26, 01-27, 02-05, 02-06, 02-07, 02-08 (Sat make-up), 02-10.
    expect(calendar.workingDaysBetween('2025-01-24', '2025-02-10')).toBe(7);
  });

  it('skips the eight-day 2025 National Day break and counts Sat 10-11', () => {
    expect(calendar.addWorkingDays('2025-09-26', 1)).toBe('2025-09-28');
    expect(calendar.addWorkingDays('2025-09-30', 1)).toBe('2025-10-09');
    expect(calendar.addWorkingDays('2025-09-30', 3)).toBe('2025-10-11');
    expect(calendar.addWorkingDays('2025-09-30', 4)).toBe('2025-10-13');
    expect(calendar.workingDaysBetween('2025-09-30', '2025-10-08')).toBe(0);
  });

  it('crosses the 2026 Spring Festival and the 2025→2026 New Year', () => {
    expect(calendar.addWorkingDays('2026-02-13', 1)).toBe('2026-02-14');
    expect(calendar.addWorkingDays('2026-02-13', 2)).toBe('2026-02-24');
    // (02-13, 03-02]: 02-14, 02-24, 02-25, 02-26, 02-27, 02-28, 03-02.
    expect(calendar.workingDaysBetween('2026-02-13', '2026-03-02')).toBe(7);
    // 2026-01-01..03 off, Sun 01-04 worked.
    expect(calendar.addWorkingDays('2025-12-31', 1)).toBe('2026-01-04');
  });

  it('n = 0 returns the date itself, even a holiday; the start day never counts', () => {
    expect(calendar.addWorkingDays('2025-01-29', 0)).toBe('2025-01-29');
    expect(calendar.addWorkingDays('2025-03-03', 1)).toBe('2025-03-04');
    expect(calendar.workingDaysBetween('2025-03-03', '2025-03-03')).toBe(0);
    expect(calendar.workingDaysBetween('2025-03-07', '2025-03-03')).toBe(0);
    expect(calendar.workingDaysBetween('2025-03-02', '2025-03-03')).toBe(1);
  });

  it('nextWorkingDay is the first working day strictly after the date', () => {
    expect(calendar.nextWorkingDay('2025-10-01')).toBe('2025-10-09');
    expect(calendar.nextWorkingDay('2025-01-25')).toBe('2025-01-26');
    expect(calendar.nextWorkingDay('2025-03-03')).toBe('2025-03-04');
  });

  it('handles 29 February', () => {
    expect(calendar.dayKind('2024-02-29').kind).toBe('WORKDAY');
    expect(calendar.addWorkingDays('2024-02-28', 1)).toBe('2024-02-29');
  });

  it('rejects malformed dates and day counts with INPUT codes', () => {
    for (const bad of ['2025-02-29', '2025-13-01', '2025-1-1', '2025-01-01T00:00:00Z', '', 20250101, null]) {
      expect(() => calendar.dayKind(bad as string), String(bad)).toThrowError(
        expect.objectContaining({ code: 'INPUT.INVALID_DATE', name: 'InvalidDateError' }),
      );
    }
    for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => calendar.addWorkingDays('2025-03-03', n)).toThrowError(
        expect.objectContaining({ code: 'INPUT.INVALID_WORKING_DAYS' }),
      );
    }
  });
});

describe('unpublished years are refused, never guessed', () => {
  it('any lookup in a year no notice covers', () => {
    expectNotPublished(() => calendar.dayKind('2031-05-06'), 2031);
    expectNotPublished(() => calendar.isWorkingDay('2031-05-06'), 2031);
    expectNotPublished(() => calendar.addWorkingDays('2003-06-02', 1), 2003);
    expectNotPublished(() => calendar.workingDaysBetween('2026-12-01', '2031-01-10'), 2031);
  });

  it('an addition that would run past the last published year', () => {
    const last = calendar.publishedYears.at(-1)!;
    expect(calendar.addWorkingDays(`${last}-12-28`, 0)).toBe(`${last}-12-28`);
    expectNotPublished(() => calendar.addWorkingDays(`${last}-12-28`, 5), last + 1);
    expectNotPublished(() => calendar.addWorkingDays('2025-01-02', 1_000_000), last + 1);
    expectNotPublished(() => calendar.nextWorkingDay(`${last}-12-31`), last + 1);
  });
});

/** The 春节 and 国庆节 entries every annual notice has, for made-up notices of `year` (not a real arrangement). */
function majorHolidays(year: number) {
  return [
    { name: '春节', date: `${year}-02-10`, isOffDay: true },
    { name: '国庆节', date: `${year}-10-01`, isOffDay: true },
  ];
}

/** A made-up 2027 notice in the official machine format; not the real arrangement. */
const FAKE_2027: YearNotice[] = [
  {
    year: 2027,
    days: [
      { name: '元旦', date: '2027-01-01', isOffDay: true },
      { name: '元旦', date: '2027-01-02', isOffDay: true },
      { name: '元旦', date: '2027-01-03', isOffDay: true },
      ...['2027-02-06', '2027-02-07', '2027-02-08', '2027-02-09', '2027-02-10', '2027-02-11', '2027-02-12'].map(
        (date) => ({ name: '春节', date, isOffDay: true }),
      ),
      { name: '春节', date: '2027-02-13', isOffDay: false },
      ...['2027-10-01', '2027-10-02', '2027-10-03', '2027-10-04', '2027-10-05', '2027-10-06', '2027-10-07'].map(
        (date) => ({ name: '国庆节', date, isOffDay: true }),
      ),
    ],
  },
];

describe('override notices', () => {
  const withFake2027 = buildWorkingCalendar(chineseDaysNotices(), validateCalendarOverrides(FAKE_2027));

  it('a loaded notice publishes its year', () => {
    expect(withFake2027.isYearPublished(2027)).toBe(true);
    expect(withFake2027.isYearPublished(2028)).toBe(false);
    expect(withFake2027.dayKind('2027-01-01')).toEqual({ kind: 'HOLIDAY', name: '元旦' });
    expect(withFake2027.dayKind('2027-01-04')).toEqual({ kind: 'WORKDAY', name: null });
    expect(withFake2027.dayKind('2027-02-13')).toEqual({ kind: 'MAKEUP_WORKDAY', name: '春节' });
    expect(withFake2027.dayKind('2027-02-14')).toEqual({ kind: 'WEEKEND', name: null });
  });

  it('arithmetic runs into the loaded year and stops at the next one', () => {
    expect(withFake2027.addWorkingDays('2026-12-31', 1)).toBe('2027-01-04');
    // 12-31, 01-04, 01-05, 01-06, 01-07.
    expect(withFake2027.addWorkingDays('2026-12-30', 5)).toBe('2027-01-07');
    expectNotPublished(() => calendar.addWorkingDays('2026-12-30', 5), 2027);
    // (02-05, 02-15]: 02-13 (Sat make-up), 02-15.
    expect(withFake2027.workingDaysBetween('2027-02-05', '2027-02-15')).toBe(2);
    expectNotPublished(() => withFake2027.addWorkingDays('2027-12-30', 3), 2028);
  });

  it('an override year replaces the base data of that year entirely', () => {
    const shortened: YearNotice[] = [{ year: 2025, days: [{ name: '元旦', date: '2025-01-01', isOffDay: true }, ...majorHolidays(2025)] }];
    const corrected = buildWorkingCalendar(chineseDaysNotices(), shortened);
    expect(corrected.dayKind('2025-01-01').kind).toBe('HOLIDAY');
    expect(corrected.dayKind('2025-01-28').kind).toBe('WORKDAY');
    expect(corrected.dayKind('2025-02-10').kind).toBe('HOLIDAY');
    expect(corrected.dayKind('2025-01-26').kind).toBe('WEEKEND');
    expect(corrected.dayKind('2024-02-12').kind).toBe('HOLIDAY');
  });

  it('a year left out between published years is refused, not bridged', () => {
    const gap = buildWorkingCalendar(chineseDaysNotices(), [{ year: 2029, days: majorHolidays(2029) }]);
    expect(gap.isWorkingDay('2029-01-02')).toBe(true);
    expectNotPublished(() => gap.dayKind('2028-03-01'), 2028);
    expectNotPublished(() => gap.addWorkingDays('2026-12-30', 5), 2027);
    expectNotPublished(() => gap.workingDaysBetween('2026-12-01', '2029-01-10'), 2027);
  });

  it('building with a malformed override refuses to produce a calendar', () => {
    const typo = [{ year: 2027, days: [{ name: '元旦', date: '2027-1-1', isOffDay: true }] }] as unknown as YearNotice[];
    expect(() => buildWorkingCalendar(chineseDaysNotices(), typo)).toThrow(InvalidCalendarNoticeError);
  });

  it('the shipped override file is valid and the default calendar loads it', () => {
    expect(() => shippedCalendarOverrides()).not.toThrow();
    const defaults: WorkingCalendar = getDefaultCalendar();
    expect(getDefaultCalendar()).toBe(defaults);
    expect(defaults.dayKind('2025-01-26').kind).toBe('MAKEUP_WORKDAY');
  });
});

describe('override validation', () => {
  function issuesOf(input: unknown): readonly string[] {
    try {
      validateCalendarOverrides(input);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidCalendarNoticeError);
      expect((error as InvalidCalendarNoticeError).code).toBe('CALENDAR.INVALID_NOTICE');
      return (error as InvalidCalendarNoticeError).issues;
    }
    throw new Error('expected the override to be rejected');
  }

  it('accepts an empty file and a New Year break starting in the previous December', () => {
    expect(validateCalendarOverrides([])).toEqual([]);
    const notice = [
      {
        year: 2019,
        days: [
          { name: '元旦', date: '2018-12-29', isOffDay: false },
          { name: '元旦', date: '2018-12-30', isOffDay: true },
          ...majorHolidays(2019),
        ],
      },
    ];
    expect(validateCalendarOverrides(notice)).toEqual(notice);
  });

  it('refuses a top level that is not an array', () => {
    expect(issuesOf({ year: 2027, days: [] })).toHaveLength(1);
  });

  it('lists every problem with its path', () => {
    const issues = issuesOf([
      { year: '2027', days: [] },
      {
        year: 2027,
        days: [
          { name: '元旦', date: '2027-02-30', isOffDay: true },
          { name: '', date: '2027-01-01', isOffDay: true },
          { name: '元旦', date: '2027-01-01', isOffDay: 'yes' },
          { name: '劳动节', date: '2025-05-01', isOffDay: true },
          { name: '元旦', date: '2027-01-04', isOffDay: false },
          { name: '春节', date: '2027-02-08', isOffDay: true },
          { name: '春节', date: '2027-02-08', isOffDay: true },
        ],
      },
      { year: 2027, days: 'none' },
      { year: 2028, days: [{ name: '元旦', date: '2027-02-08', isOffDay: false }] },
    ]);
    expect(issues).toEqual([
      expect.stringContaining('[0].year'),
      expect.stringContaining('[1].days[0].date'),
      expect.stringContaining('[1].days[1].name'),
      expect.stringContaining('[1].days[2].isOffDay'),
      expect.stringContaining('[1].days[3].date'),
      expect.stringContaining('[1].days[6].date: 2027-02-08'),
      expect.stringContaining('[2].year: 2027'),
      expect.stringContaining('[2].days'),
      expect.stringContaining('[3].days[0].date'),
    ]);
  });

  it('refuses two entries that disagree about the same date', () => {
    const issues = issuesOf([
      { year: 2027, days: [{ name: '元旦', date: '2026-12-26', isOffDay: true }] },
      { year: 2026, days: [{ name: '元旦', date: '2026-12-26', isOffDay: false }] },
    ]);
    expect(issues.some((issue) => issue.includes('[1].days[0]') && issue.includes('[0].days[0]'))).toBe(true);
  });
});

describe('what the official notices and files hold', () => {
  it('2005-12-31 (Saturday) was a working day: 国办发明电〔2005〕35号 moved it for the 2006 New Year', () => {
    const official = getDefaultCalendar();
    expect(official.dayKind('2005-12-31')).toEqual({ kind: 'MAKEUP_WORKDAY', name: '元旦' });
    // Fri 12-30 + 1 WD: Sat 12-31; 2006-01-01..03 off; 01-04 is the next.
    expect(official.addWorkingDays('2005-12-30', 1)).toBe('2005-12-31');
    expect(official.addWorkingDays('2005-12-31', 1)).toBe('2006-01-04');
    // The 2007 notice's December make-up days stay, although the 2006 notice is overridden.
    expect(official.dayKind('2006-12-30')).toEqual({ kind: 'MAKEUP_WORKDAY', name: '元旦' });
    expect(official.dayKind('2006-02-05').kind).toBe('MAKEUP_WORKDAY');
    expect(official.dayKind('2006-10-08').kind).toBe('MAKEUP_WORKDAY');
  });

  it('refuses an override that is not a whole year’s notice: no days, or no 春节 or 国庆节', () => {
    const refused = (days: YearNotice['days']) => () => validateCalendarOverrides([{ year: 2027, days }]);
    expect(refused([])).toThrow(/2027 年: 缺少春节/);
    expect(refused([])).toThrow(/缺少国庆节/);
    expect(refused([{ name: '春节', date: '2027-02-08', isOffDay: true }])).toThrow(/缺少国庆节/);
    expect(refused([{ name: '国庆节', date: '2027-10-01', isOffDay: true }, { name: '春节', date: '2027-02-06', isOffDay: false }])).toThrow(/缺少春节/);
    expect(() => buildWorkingCalendar(chineseDaysNotices(), [{ year: 2027, days: [] }])).toThrow(InvalidCalendarNoticeError);
    expect(validateCalendarOverrides([{ year: 2027, days: majorHolidays(2027) }])).toHaveLength(1);
  });

  it('loading a notice keeps the other years of the override file, the shipped correction of 2006 among them', () => {
    const merged = mergeCalendarOverrides(shippedCalendarOverrides(), FAKE_2027);
    expect(merged.map((notice) => notice.year)).toEqual([2006, 2027]);
    expect(merged[0]!.source).toContain('国办发明电〔2005〕35号');
    const reloaded = mergeCalendarOverrides(merged, [{ year: 2027, days: majorHolidays(2027) }]);
    expect(reloaded.map((notice) => notice.days.length)).toEqual([merged[0]!.days.length, 2]);
  });

  it('accepts a Monday–Friday working day the official file lists (2020-02-03), and still refuses contradictions', () => {
    const days = [
      { name: '春节', date: '2020-01-24', isOffDay: true },
      { name: '春节', date: '2020-02-02', isOffDay: true },
      { name: '春节', date: '2020-02-03', isOffDay: false },
      { name: '国庆节', date: '2020-10-01', isOffDay: true },
    ];
    const with2020 = buildWorkingCalendar(chineseDaysNotices(), validateCalendarOverrides([{ year: 2020, days }]));
    expect(with2020.dayKind('2020-02-03')).toEqual({ kind: 'WORKDAY', name: '春节' });
    expect(with2020.isWorkingDay('2020-02-03')).toBe(true);
    expect(with2020.addWorkingDays('2020-02-02', 1)).toBe('2020-02-03');
    expect(() => validateCalendarOverrides([{ year: 2020, days: [...days, { name: '春节', date: '2020-02-03', isOffDay: true }] }])).toThrow(
      InvalidCalendarNoticeError,
    );
  });
});

describe('properties', () => {
  const n = fc.integer({ min: 0, max: 250 });

  it('workingDaysBetween(d, addWorkingDays(d, n)) === n, and the result is the first such day', () => {
    fc.assert(
      fc.property(coveredDate, n, (date, count) => {
        const result = calendar.addWorkingDays(date, count);
        expect(calendar.workingDaysBetween(date, result)).toBe(count);
        if (count >= 1) expect(calendar.workingDaysBetween(date, shiftDays(result, -1))).toBe(count - 1);
      }),
      { numRuns: 1000 },
    );
  });

  it('for n ≥ 1 the result is a later working day', () => {
    fc.assert(
      fc.property(coveredDate, fc.integer({ min: 1, max: 250 }), (date, count) => {
        const result = calendar.addWorkingDays(date, count);
        expect(result > date).toBe(true);
        expect(calendar.isWorkingDay(result)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('workingDaysBetween is additive over any split point', () => {
    fc.assert(
      fc.property(coveredDate, fc.nat(200), fc.nat(200), (a, x, y) => {
        const b = shiftDays(a, x);
        const c = shiftDays(b, y);
        expect(calendar.workingDaysBetween(a, c)).toBe(
          calendar.workingDaysBetween(a, b) + calendar.workingDaysBetween(b, c),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('workingDaysBetween equals a day-by-day count of working days', () => {
    fc.assert(
      fc.property(coveredDate, fc.nat(60), (from, span) => {
        const to = shiftDays(from, span);
        const naive = datesBetween(shiftDays(from, 1), to).filter((date) => calendar.isWorkingDay(date)).length;
        expect(calendar.workingDaysBetween(from, to)).toBe(naive);
      }),
      { numRuns: 500 },
    );
  });
});
