/** 渝快办's time format (CONTRACT.md §5), apart so that every wire module can use it. */

/**
 * "yyyyMMddHHmmss", Beijing time, no zone designator: the platform lives in UTC+8 and
 * China has no daylight saving, so the offset is a constant.
 */
const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;
const YKB_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

export function ykbTimeToMillis(value: string): number | null {
  const match = YKB_TIME.exec(value);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 2024-02-30 over into March (and years 0–99 into the 1900s); fields that do not come back unchanged are not a date.
  const d = new Date(local);
  const same =
    d.getUTCFullYear() === year &&
    d.getUTCMonth() === month - 1 &&
    d.getUTCDate() === day &&
    d.getUTCHours() === hour &&
    d.getUTCMinutes() === minute &&
    d.getUTCSeconds() === second;
  return same ? local - BEIJING_OFFSET_MS : null;
}

function formatBeijing(localMillis: number): string {
  const d = new Date(localMillis);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

export function millisToYkbTime(millis: number): string {
  return formatBeijing(millis + BEIJING_OFFSET_MS);
}
