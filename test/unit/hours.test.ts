import { describe, expect, it } from 'vitest';
import { buildWorkingCalendar, CalendarYearNotPublishedError, chineseDaysNotices } from '../../domain/calendar/index.js';
import { closureAt, describeClosure, hoursOn, InvalidHoursError, isOpen, validateOfficeHours, type OfficeHours } from '../../domain/hours/index.js';

const calendar = buildWorkingCalendar(chineseDaysNotices());

const WEEKDAY: OfficeHours['mon'] = [
  ['09:00', '12:00'],
  ['13:30', '17:00'],
];
const HALL: OfficeHours = validateOfficeHours({
  mon: WEEKDAY,
  tue: WEEKDAY,
  wed: WEEKDAY,
  thu: WEEKDAY,
  fri: WEEKDAY,
  sat: [['09:00', '12:00']],
  sun: [],
});

describe('isOpen on ordinary days', () => {
  it('follows the weekday ranges, half-open', () => {
    // Mon 2025-03-03.
    expect(isOpen(HALL, '2025-03-03T08:59:59+08:00', calendar)).toBe(false);
    expect(isOpen(HALL, '2025-03-03T09:00:00+08:00', calendar)).toBe(true);
    expect(isOpen(HALL, '2025-03-03T11:59:00+08:00', calendar)).toBe(true);
    expect(isOpen(HALL, '2025-03-03T12:00:00+08:00', calendar)).toBe(false);
    expect(isOpen(HALL, '2025-03-03T13:29:00+08:00', calendar)).toBe(false);
    expect(isOpen(HALL, '2025-03-03T13:30:00+08:00', calendar)).toBe(true);
    expect(isOpen(HALL, '2025-03-03T17:00:00+08:00', calendar)).toBe(false);
  });

  it('reads the instant in Asia/Shanghai', () => {
    expect(isOpen(HALL, '2025-03-03T02:00:00Z', calendar)).toBe(true);
    expect(isOpen(HALL, '2025-03-03T09:30:00Z', calendar)).toBe(false);
    // Sun 01:30 UTC is Sun 09:30 in Shanghai (closed); Sun 17:30 at -08:00 is Mon 09:30 in Shanghai.
    expect(isOpen(HALL, new Date('2025-03-02T01:30:00Z'), calendar)).toBe(false);
    expect(isOpen(HALL, '2025-03-02T17:30:00-08:00', calendar)).toBe(true);
  });

  it('uses Saturday and Sunday entries on ordinary weekends', () => {
    expect(isOpen(HALL, '2025-03-01T10:00:00+08:00', calendar)).toBe(true);
    expect(isOpen(HALL, '2025-03-01T14:00:00+08:00', calendar)).toBe(false);
    expect(isOpen(HALL, '2025-03-02T10:00:00+08:00', calendar)).toBe(false);
  });
});

describe('isOpen around holidays', () => {
  it('is closed on statutory holidays, on a weekday or a Saturday', () => {
    expect(isOpen(HALL, '2025-10-08T10:00:00+08:00', calendar)).toBe(false);
    expect(isOpen(HALL, '2025-10-04T10:00:00+08:00', calendar)).toBe(false);
    expect(isOpen(HALL, '2026-02-16T10:00:00+08:00', calendar)).toBe(false);
  });

  it('opens on make-up working days with Monday hours by default', () => {
    // Sun 2025-09-28 and Sat 2025-10-11 are worked.
    expect(isOpen(HALL, '2025-09-28T15:00:00+08:00', calendar)).toBe(true);
    expect(isOpen(HALL, '2025-10-11T15:00:00+08:00', calendar)).toBe(true);
    expect(isOpen(HALL, '2025-10-11T12:30:00+08:00', calendar)).toBe(false);
    expect(hoursOn(HALL, '2025-09-28', calendar)).toEqual(WEEKDAY);
    expect(hoursOn(HALL, '2025-10-01', calendar)).toEqual([]);
    expect(hoursOn(HALL, '2025-09-27', calendar)).toEqual([['09:00', '12:00']]);
  });

  it('uses makeupDayHours when given', () => {
    const mornings = validateOfficeHours({ ...HALL, makeupDayHours: [['09:00', '12:00']] });
    expect(isOpen(mornings, '2025-09-28T10:00:00+08:00', calendar)).toBe(true);
    expect(isOpen(mornings, '2025-09-28T15:00:00+08:00', calendar)).toBe(false);
    expect(isOpen(mornings, '2025-09-29T15:00:00+08:00', calendar)).toBe(true);
  });

  it('refuses an unpublished year rather than guessing', () => {
    expect(() => isOpen(HALL, '2031-03-03T10:00:00+08:00', calendar)).toThrow(CalendarYearNotPublishedError);
  });
});

describe('hours validation', () => {
  function issuesOf(input: unknown): readonly string[] {
    try {
      validateOfficeHours(input);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidHoursError);
      expect((error as InvalidHoursError).code).toBe('INPUT.INVALID_HOURS');
      return (error as InvalidHoursError).issues;
    }
    throw new Error('expected the hours to be rejected');
  }

  it('accepts 24:00 as an end and touching ranges', () => {
    const late = validateOfficeHours({ ...HALL, fri: [['09:00', '12:00'], ['12:00', '24:00']] });
    expect(isOpen(late, '2025-03-07T23:59:00+08:00', calendar)).toBe(true);
  });

  it('lists malformed times, empty or reversed ranges, overlaps, missing days and unknown keys', () => {
    const issues = issuesOf({
      mon: [['9:00', '12:00']],
      tue: [['09:00', '25:00']],
      wed: [['13:00', '12:00']],
      thu: [['09:00', '12:00'], ['11:30', '14:00']],
      fri: [['24:00', '24:00']],
      sat: 'closed',
      mom: [],
    });
    expect(issues).toEqual([
      expect.stringContaining('mom'),
      expect.stringContaining('sun'),
      expect.stringContaining('mon[0]'),
      expect.stringContaining('tue[0]'),
      expect.stringContaining('wed[0]: 开始时间 13:00 应早于结束时间 12:00'),
      expect.stringContaining('thu: 时间段 09:00–12:00 与 11:30'),
      expect.stringContaining('fri[0]'),
      expect.stringContaining('sat'),
    ]);
  });

  it('refuses a non-object, a malformed range and bad make-up hours', () => {
    expect(issuesOf(null)).toHaveLength(1);
    expect(issuesOf({ ...HALL, mon: [['09:00']] })).toEqual([expect.stringContaining('mon[0]')]);
    expect(issuesOf({ ...HALL, makeupDayHours: [['10:00', '09:00']] })).toEqual([
      expect.stringContaining('makeupDayHours[0]'),
    ]);
  });

  it('isOpen refuses invalid hours instead of answering', () => {
    const broken = { ...HALL, mon: [['17:00', '09:00']] } as unknown as OfficeHours;
    expect(() => isOpen(broken, '2025-03-03T10:00:00+08:00', calendar)).toThrow(InvalidHoursError);
  });
});

describe('closureAt: why a window is closed and when it opens next', () => {
  const closed = (instant: string) => {
    const closure = closureAt(HALL, instant, calendar);
    expect(closure).not.toBeNull();
    return { ...closure!, message: describeClosure(closure!, instant.slice(0, 10)) };
  };

  it('is null while open', () => {
    expect(closureAt(HALL, '2025-03-03T10:00:00+08:00', calendar)).toBeNull();
    expect(closureAt(HALL, '2025-03-08T09:00:00+08:00', calendar)).toBeNull();
  });

  it('on an ordinary night says outside hours, not a holiday, and opens the same morning', () => {
    const night = closed('2025-03-03T03:00:00+08:00');
    expect(night).toMatchObject({ reason: 'OUTSIDE_HOURS', holiday: null, nextOpen: { date: '2025-03-03', time: '09:00' } });
    expect(night.message).toContain('今日办公时间为 09:00–12:00、13:30–17:00');
    expect(night.message).toContain('下次办公时间：2025-03-03（周一）09:00');
    expect(night.message).not.toContain('节假日');
  });

  it('finds the next range the same day, else the next day with hours', () => {
    expect(closed('2025-03-03T12:30:00+08:00').nextOpen).toEqual({ date: '2025-03-03', time: '13:30' });
    expect(closed('2025-03-03T17:00:00+08:00').nextOpen).toEqual({ date: '2025-03-04', time: '09:00' });
    // Friday evening: Saturday morning hours come first.
    expect(closed('2025-03-07T18:00:00+08:00').nextOpen).toEqual({ date: '2025-03-08', time: '09:00' });
    // Saturday afternoon: Sunday has none, so Monday.
    expect(closed('2025-03-08T14:00:00+08:00')).toMatchObject({ reason: 'OUTSIDE_HOURS', nextOpen: { date: '2025-03-10', time: '09:00' } });
  });

  it('names a weekend without hours', () => {
    const sunday = closed('2025-03-09T10:00:00+08:00');
    expect(sunday).toMatchObject({ reason: 'WEEKEND', nextOpen: { date: '2025-03-10', time: '09:00' } });
    expect(sunday.message).toContain('周末');
  });

  it('names the holiday from the calendar and skips the whole break', () => {
    const holiday = closed('2025-10-03T10:00:00+08:00');
    expect(holiday.reason).toBe('HOLIDAY');
    expect(holiday.holiday).toContain('国庆');
    expect(holiday.nextOpen).toEqual({ date: '2025-10-09', time: '09:00' });
    expect(holiday.message).toContain('国庆');
    expect(holiday.message).toContain('下次办公时间：2025-10-09（周四）09:00');
  });

  it('says when a make-up working day (调休上班) is over', () => {
    const evening = closed('2025-10-11T18:00:00+08:00');
    expect(evening).toMatchObject({ reason: 'OUTSIDE_HOURS', nextOpen: { date: '2025-10-13', time: '09:00' } });
    expect(evening.message).toContain('调休上班日');
  });

  it('keeps a hall that stays open on holidays (holidayHours) open then, and says when its holiday hours are over', () => {
    const open = validateOfficeHours({ ...HALL, holidayHours: [['10:00', '15:00']] });
    expect(isOpen(open, '2025-10-03T10:00:00+08:00', calendar)).toBe(true);
    expect(isOpen(HALL, '2025-10-03T10:00:00+08:00', calendar)).toBe(false);
    expect(hoursOn(open, '2025-10-03', calendar)).toEqual([['10:00', '15:00']]);
    const evening = closureAt(open, '2025-10-03T16:00:00+08:00', calendar)!;
    expect(evening).toMatchObject({ reason: 'OUTSIDE_HOURS', dayKind: 'HOLIDAY', nextOpen: { date: '2025-10-04', time: '10:00' } });
    expect(describeClosure(evening, '2025-10-03')).toMatch(/国庆.*放假期间，今日办公时间为 10:00–15:00/);
    expect(() => validateOfficeHours({ ...HALL, holidayHours: [['15:00', '10:00']] })).toThrow(InvalidHoursError);
  });

  it('does not guess an opening in a year no notice covers', () => {
    const last = Math.max(...calendar.publishedYears);
    const closure = closed(`${last}-12-31T18:00:00+08:00`);
    expect(closure.nextOpen).toBeNull();
    expect(closure.message).toContain('待节假日安排公布后确定');
  });
});
