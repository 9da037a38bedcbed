import { getDefaultCalendar } from '../domain/calendar/index.js';

/*
 * addWorkingDays throughput on one core. The deadline-alert job evaluates every open
 * case on each run, so the calendar must stay far below a microsecond per call.
 * Inputs are drawn up front (fixed seed, so runs compare) and cycled, so the timed
 * loop measures the calendar rather than the random generator.
 */

const DURATION_MS = 2_000;
const WARM_UP_MS = 200;
const INPUTS = 1 << 16;
const BATCH = 10_000;

const calendar = getDefaultCalendar();
const firstYear = calendar.publishedYears[0]!;
// Stop a year before the end so that up to 250 working days always stays in range.
const lastStartYear = calendar.publishedYears.at(-1)! - 1;

let seed = 0x2025_0128;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x1_0000_0000;
}

const firstMs = Date.UTC(firstYear, 0, 1);
const spanDays = (Date.UTC(lastStartYear, 11, 31) - firstMs) / 86_400_000;
const dates: string[] = [];
const counts: number[] = [];
for (let i = 0; i < INPUTS; i++) {
  dates.push(new Date(firstMs + Math.floor(random() * spanDays) * 86_400_000).toISOString().slice(0, 10));
  counts.push(Math.floor(random() * 251));
}

let sink = 0;
function run(durationMs: number): { calls: number; elapsedMs: number } {
  let calls = 0;
  let i = 0;
  const begin = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let b = 0; b < BATCH; b++) {
      sink += calendar.addWorkingDays(dates[i]!, counts[i]!).length;
      i = (i + 1) & (INPUTS - 1);
    }
    calls += BATCH;
    elapsed = performance.now() - begin;
  }
  return { calls, elapsedMs: elapsed };
}

run(WARM_UP_MS);
const { calls, elapsedMs } = run(DURATION_MS);
if (sink === 0) throw new Error('benchmark produced no results');
console.log(JSON.stringify({ name: 'addWorkingDays', opsPerSec: Math.round((calls / elapsedMs) * 1000) }));
