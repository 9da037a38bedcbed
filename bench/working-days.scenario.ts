import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Scenario } from './scenario.types.js';

const BENCH = fileURLToPath(new URL('./working-days.bench.ts', import.meta.url));

/** Folds bench/working-days.bench.ts (its own timing, one JSON line) into the report. */
export const workingDaysScenario: Scenario = {
  id: 'working-days',
  async run() {
    const { stdout } = await promisify(execFile)(process.execPath, [`--import=${import.meta.resolve('tsx')}`, BENCH], { timeout: 60_000 });
    const line = stdout.trim().split('\n').at(-1) ?? '';
    const { name, opsPerSec } = JSON.parse(line) as { name: string; opsPerSec: number };
    if (typeof opsPerSec !== 'number') throw new Error(`working-days.bench.ts printed no figure: ${line}`);
    const perCallNs = 1e9 / opsPerSec;
    return {
      markdown: [
        '## Working-day calendar',
        '',
        '`bench/working-days.bench.ts`: `addWorkingDays` on one core over random dates and counts (fixed seed), 2 s after a 0.2 s warm-up. The deadline-alert job evaluates every open case on each run, so this must stay far below a microsecond per call.',
        '',
        '| function | calls/s | per call |',
        '|---|---:|---:|',
        `| \`${name}\` | ${Math.round(opsPerSec).toLocaleString('en-US')} | ${perCallNs.toFixed(0)} ns |`,
      ].join('\n'),
      summary: [`${name}: ${Math.round(opsPerSec).toLocaleString('en-US')} calls/s (${perCallNs.toFixed(0)} ns per call)`],
      problems: [],
    };
  },
};
