import { InvalidInstantError } from './calendar.errors.js';
import { epochDayOf, formatEpochDay, parseCivilDate, tryParseCivilDate, weekdayOfEpochDay } from './civil-date.js';

/**
 * Every rule in this project reads time as a civil date and wall-clock time in
 * Asia/Shanghai. China has kept UTC+8 without daylight saving since 1992, so a fixed
 * offset is exact for every year the calendar covers and avoids depending on the
 * host's ICU time-zone data.
 */

export type Instant = string | Date;

const OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** An offset is required: a bare local time would be read in the host's zone, which differs between machines. */
const INSTANT_PATTERN = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

export interface ShanghaiTime {
  /** Civil date 'YYYY-MM-DD' in Asia/Shanghai. */
  readonly date: string;
  readonly epochDay: number;
  /** Minutes since local midnight, 0–1439. */
  readonly minuteOfDay: number;
  /** 0 = Sunday … 6 = Saturday. */
  readonly weekday: number;
}

/**
 * Milliseconds since the Unix epoch. Parsed by hand because `Date.parse` accepts
 * 2025-02-30 and 24:00 and rolls them over instead of refusing them.
 */
export function instantToEpochMs(instant: Instant): number {
  if (instant instanceof Date) {
    const ms = instant.getTime();
    if (Number.isNaN(ms)) throw new InvalidInstantError(instant);
    return ms;
  }
  const match = typeof instant === 'string' ? INSTANT_PATTERN.exec(instant) : null;
  if (!match) throw new InvalidInstantError(instant);
  const [, datePart, hh, mm, ss, fraction, zulu, sign, offH, offM] = match;
  const civil = tryParseCivilDate(datePart);
  if (!civil) throw new InvalidInstantError(instant);
  const hours = Number(hh);
  const minutes = Number(mm);
  const seconds = ss === undefined ? 0 : Number(ss);
  const offsetHours = zulu ? 0 : Number(offH);
  const offsetMinutes = zulu ? 0 : Number(offM);
  if (hours > 23 || minutes > 59 || seconds > 59 || offsetHours > 23 || offsetMinutes > 59) {
    throw new InvalidInstantError(instant);
  }
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  const offsetMs = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  return (
    epochDayOf(civil.year, civil.month, civil.day) * DAY_MS +
    ((hours * 60 + minutes) * 60 + seconds) * 1000 +
    millis -
    offsetMs
  );
}

export function toShanghaiTime(instant: Instant): ShanghaiTime {
  const local = instantToEpochMs(instant) + OFFSET_MS;
  const epochDay = Math.floor(local / DAY_MS);
  return {
    date: formatEpochDay(epochDay),
    epochDay,
    minuteOfDay: Math.floor((local - epochDay * DAY_MS) / 60_000),
    weekday: weekdayOfEpochDay(epochDay),
  };
}

export function shanghaiDateOf(instant: Instant): string {
  return toShanghaiTime(instant).date;
}

/**
 * The last second of a civil day, written with its +08:00 offset so that people
 * reading a notice or an alert see the local deadline, not a UTC time on the day before.
 */
export function endOfShanghaiDay(date: string): string {
  parseCivilDate(date);
  return `${date}T23:59:59+08:00`;
}
