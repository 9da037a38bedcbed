/*
 * A benchmark scenario: one module in bench/ that measures something and describes
 * its figures for BENCHMARKS.md. bench/run.ts runs them in turn; a new one (the
 * domain dashboard, job throughput) is a module implementing this and a line in
 * run.ts's list.
 */

export interface BenchSettings {
  /** A smoke run: seconds per target, figures not comparable. */
  quick: boolean;
  /** Each target is measured this many times; tables show medians. */
  rounds: number;
  warmUpSec: number;
  measureSec: number;
  connections: number;
  /** Set when profiling: servers under test run with --cpu-prof and write their profiles here. */
  profileDir?: string;
}

export interface ScenarioReport {
  /** Section for BENCHMARKS.md, opening with a level-2 heading. */
  markdown: string;
  /** The headline figures, one line each, for the console. */
  summary: string[];
  /** What could not be measured and why; the run still writes its report, then exits non-zero. */
  problems: string[];
}

export interface Scenario {
  id: string;
  run(settings: BenchSettings): Promise<ScenarioReport>;
}
