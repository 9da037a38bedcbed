import { CalendarYearNotPublishedError, toShanghaiTime, weekdayOfDate, type DayKind, type Instant, type WorkingCalendar } from '../calendar/index.js';
import { epochDayOfDate, formatEpochDay } from '../calendar/civil-date.js';
import { InvalidHoursError } from './hours.errors.js';

/**
 * The weekly hours of a 通办 window, which follow those of its service hall (seed 000
 * 一(三)4). Ranges are half-open ["09:00", "12:00"): open at 09:00, closed at 12:00.
 * "24:00" may end a range. A statutory day off follows `holidayHours` (closed unless
 * given), whatever the weekday says.
 */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export type TimeRange = readonly [start: string, end: string];

export type OfficeHours = { readonly [day in Weekday]: readonly TimeRange[] } & {
  /**
   * Hours on a make-up working day (调休上班) that falls on a weekend. Defaults to
   * Monday's hours: a make-up day is a full working day and halls open as on an
   * ordinary weekday, which the weekend entry (often closed) would not reflect.
   */
  readonly makeupDayHours?: readonly TimeRange[];
  /**
   * Hours on a statutory day off (法定节假日, and the weekdays 调休 gives off). None by
   * default: halls close on them; one that stays open (节假日不打烊) lists its hours.
   */
  readonly holidayHours?: readonly TimeRange[];
};

const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const KEYS: ReadonlySet<string> = new Set([...WEEKDAYS, 'makeupDayHours', 'holidayHours']);
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const MIDNIGHT_END = '24:00';

/** Minutes since midnight, [start, end). */
type MinuteRange = readonly [number, number];

type Schedule = Weekday | 'makeup' | 'holiday';

type CompiledHours = Readonly<Record<Schedule, readonly MinuteRange[]>>;

/**
 * Hours are read as values: each object is validated and compiled once, so that
 * filtering a window list by `openAt` does not re-parse every range per window.
 * Change hours by replacing the object, not by editing it in place.
 */
const compiledCache = new WeakMap<object, CompiledHours>();

/** Throws `InvalidHoursError` (INPUT.INVALID_HOURS) listing every problem found. */
export function validateOfficeHours(input: unknown): OfficeHours {
  compile(input);
  return input as OfficeHours;
}

/** The ranges that apply on a civil date, after holidays and make-up days. */
export function hoursOn(hours: OfficeHours, date: string, calendar: WorkingCalendar): readonly TimeRange[] {
  compile(hours);
  const key = scheduleFor(date, calendar);
  if (key === 'holiday') return hours.holidayHours ?? [];
  return key === 'makeup' ? (hours.makeupDayHours ?? hours.mon) : hours[key];
}

export function isOpen(hours: OfficeHours, instant: Instant, calendar: WorkingCalendar): boolean {
  const compiled = compile(hours);
  const { date, minuteOfDay } = toShanghaiTime(instant);
  return compiled[scheduleFor(date, calendar)].some(([start, end]) => minuteOfDay >= start && minuteOfDay < end);
}

/**
 * Why a window is closed at an instant, as the calendar says: a statutory day off
 * (法定节假日 or a weekday given off by 调休), a weekend without hours, or a day
 * with hours that are not now (including a make-up working day, 调休上班).
 */
export type ClosedReason = 'HOLIDAY' | 'WEEKEND' | 'NO_HOURS_TODAY' | 'OUTSIDE_HOURS';

export interface Closure {
  readonly reason: ClosedReason;
  readonly dayKind: DayKind;
  /** The holiday the day belongs to (e.g. 国庆节), for a day off or a make-up working day. */
  readonly holiday: string | null;
  /** Today's ranges (a day off has none unless the window keeps holidayHours). */
  readonly today: readonly TimeRange[];
  /** When the window next opens, Asia/Shanghai; null when that lies beyond the published calendar or the search horizon. */
  readonly nextOpen: { readonly date: string; readonly time: string } | null;
}

/** Far enough for the longest closure there is (Spring Festival, a hall's own weekly days off) within a published year. */
const NEXT_OPEN_HORIZON_DAYS = 31;

/** Null when the window is open at `instant`; otherwise why not and when it opens next. */
export function closureAt(hours: OfficeHours, instant: Instant, calendar: WorkingCalendar): Closure | null {
  const compiled = compile(hours);
  const { date, minuteOfDay } = toShanghaiTime(instant);
  const info = calendar.dayKind(date);
  const ranges = compiled[scheduleFor(date, calendar)];
  if (ranges.some(([start, end]) => minuteOfDay >= start && minuteOfDay < end)) return null;
  const reason: ClosedReason =
    ranges.length > 0 ? 'OUTSIDE_HOURS' : info.kind === 'HOLIDAY' ? 'HOLIDAY' : info.kind === 'WEEKEND' ? 'WEEKEND' : 'NO_HOURS_TODAY';
  return {
    reason,
    dayKind: info.kind,
    holiday: info.name,
    today: hoursOn(hours, date, calendar),
    nextOpen: nextOpening(compiled, date, minuteOfDay, calendar),
  };
}

/** A closure in words, for the person at the window: why, and when to come back. */
export function describeClosure(closure: Closure, date: string): string {
  const today = closure.today.map(([start, end]) => `${start}–${end}`).join('、');
  const why: Record<ClosedReason, string> = {
    HOLIDAY: `今日（${date}）为${closure.holiday ?? '法定节假日'}放假期间（按国务院办公厅节假日安排，含调休），不对外办理业务`,
    WEEKEND: `今日（${date}）为周末，本窗口周末不办公`,
    NO_HOURS_TODAY: `本窗口今日（${date}）不办公`,
    OUTSIDE_HOURS: `${OUTSIDE_HOURS_DAY[closure.dayKind](date, closure.holiday)}今日办公时间为 ${today}，现在不在办公时间内`,
  };
  const next = closure.nextOpen
    ? `下次办公时间：${closure.nextOpen.date}（周${'日一二三四五六'[weekdayOfDate(closure.nextOpen.date)]}）${closure.nextOpen.time}`
    : '下次办公时间待节假日安排公布后确定';
  return `${why[closure.reason]}。${next}`;
}

const OUTSIDE_HOURS_DAY: Record<DayKind, (date: string, holiday: string | null) => string> = {
  WORKDAY: () => '',
  WEEKEND: () => '',
  HOLIDAY: (date, holiday) => `今日（${date}）为${holiday ?? '法定节假日'}放假期间，`,
  MAKEUP_WORKDAY: (date, holiday) => `今日（${date}）为${holiday ?? ''}调休上班日，`,
};

function nextOpening(
  compiled: CompiledHours,
  date: string,
  minuteOfDay: number,
  calendar: WorkingCalendar,
): Closure['nextOpen'] {
  const first = epochDayOfDate(date);
  for (let offset = 0; offset <= NEXT_OPEN_HORIZON_DAYS; offset++) {
    const day = formatEpochDay(first + offset);
    let key: Schedule;
    try {
      key = scheduleFor(day, calendar);
    } catch (error) {
      if (error instanceof CalendarYearNotPublishedError) return null;
      throw error;
    }
    const start = compiled[key].find(([from]) => offset > 0 || from > minuteOfDay);
    if (start) return { date: day, time: clock(start[0]) };
  }
  return null;
}

function scheduleFor(date: string, calendar: WorkingCalendar): Schedule {
  const { kind } = calendar.dayKind(date);
  if (kind === 'HOLIDAY') return 'holiday';
  if (kind === 'MAKEUP_WORKDAY') return 'makeup';
  return WEEKDAYS[weekdayOfDate(date)]!;
}

function compile(input: unknown): CompiledHours {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidHoursError(['应为对象 { mon: [["09:00","12:00"], …], …, sun: [] }']);
  }
  const cached = compiledCache.get(input);
  if (cached) return cached;

  const issues: string[] = [];
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!KEYS.has(key)) issues.push(`${key}: 未知字段（应为 mon…sun、makeupDayHours 或 holidayHours）`);
  }
  const byDay = Object.fromEntries(WEEKDAYS.map((day) => [day, parseDay(day, record[day], issues)])) as Record<
    Weekday,
    MinuteRange[]
  >;
  const makeup =
    record.makeupDayHours === undefined ? byDay.mon : parseDay('makeupDayHours', record.makeupDayHours, issues);
  const holiday = record.holidayHours === undefined ? [] : parseDay('holidayHours', record.holidayHours, issues);
  const compiled = { ...byDay, makeup, holiday };
  if (issues.length > 0) throw new InvalidHoursError(issues);
  compiledCache.set(input, compiled);
  return compiled;
}

function parseDay(key: string, value: unknown, issues: string[]): MinuteRange[] {
  if (!Array.isArray(value)) {
    issues.push(`${key}: 应为时间段数组，如 [["09:00","12:00"]]；不办公请写 []`);
    return [];
  }
  const parsed: MinuteRange[] = [];
  value.forEach((range: unknown, i) => {
    const at = `${key}[${i}]`;
    if (!Array.isArray(range) || range.length !== 2) {
      issues.push(`${at}: 应为 ["HH:MM", "HH:MM"]`);
      return;
    }
    const start = minutesOf(range[0], false);
    const end = minutesOf(range[1], true);
    if (start === null) issues.push(`${at}: 开始时间 ${JSON.stringify(range[0])} 应为 00:00–23:59 的 HH:MM`);
    if (end === null) issues.push(`${at}: 结束时间 ${JSON.stringify(range[1])} 应为 HH:MM（最晚 24:00）`);
    if (start === null || end === null) return;
    if (start >= end) {
      issues.push(`${at}: 开始时间 ${String(range[0])} 应早于结束时间 ${String(range[1])}`);
      return;
    }
    parsed.push([start, end]);
  });
  const sorted = [...parsed].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sorted.length; i++) {
    const [prevStart, prevEnd] = sorted[i - 1]!;
    const [start] = sorted[i]!;
    if (start < prevEnd) issues.push(`${key}: 时间段 ${clock(prevStart)}–${clock(prevEnd)} 与 ${clock(start)} 开始的时间段重叠`);
  }
  return sorted;
}

function minutesOf(value: unknown, isEnd: boolean): number | null {
  if (isEnd && value === MIDNIGHT_END) return 24 * 60;
  const match = typeof value === 'string' ? TIME.exec(value) : null;
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

function clock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
