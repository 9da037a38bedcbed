/**
 * `npm run bench`: runs the scenarios one after the other and writes BENCHMARKS.md.
 * `-- --quick` is a smoke run (seconds per target, report to the temporary directory);
 * `-- --profile` runs the federation scenario (or the one named by --only) once with the servers under test under --cpu-prof;
 * `-- --rounds N` measures each gateway N times; `-- --only <id>` runs that one scenario.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderBenchmarks } from './benchmarks.report.js';
import { coldStartScenario } from './cold-start.scenario.js';
import { dashboardFaultsScenario } from './dashboard/dashboard-faults.scenario.js';
import { dashboardScenario } from './dashboard/dashboard.scenario.js';
import { federationScenario } from './federation/federation.scenario.js';
import { jobScenarios } from './jobs/job.scenarios.js';
import { installedVersions, loadAverage, machineInfo } from './machine.info.js';
import type { BenchSettings, Scenario, ScenarioReport } from './scenario.types.js';
import { workingDaysScenario } from './working-days.scenario.js';

const SCENARIOS: Scenario[] = [federationScenario, workingDaysScenario, dashboardScenario, dashboardFaultsScenario, ...jobScenarios, coldStartScenario];

const PACKAGES = [
  '@apollo/gateway',
  '@apollo/server',
  '@apollo/subgraph',
  '@apollo/composition',
  'graphql',
  '@graphql-hive/gateway',
  '@graphql-hive/gateway-runtime',
  '@graphql-mesh/fusion-runtime',
  '@graphql-mesh/plugin-jit',
  'graphql-jit',
  'autocannon',
  'tsx',
] as const;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    only: { type: 'string' },
  },
});

const rounds = Number(args.rounds ?? (args.quick || args.profile ? 1 : 3));
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) throw new Error(`--rounds must be an integer from 1 to 10, not ${args.rounds}`);
const workDir = args.quick || args.profile ? mkdtempSync(join(tmpdir(), 'tongban-bench-')) : undefined;
const settings: BenchSettings = {
  quick: args.quick,
  rounds,
  warmUpSec: args.quick ? 2 : 10,
  measureSec: args.quick ? 3 : 20,
  connections: 50,
  ...(args.profile && workDir ? { profileDir: join(workDir, 'profiles') } : {}),
};

const chosen = args.only === undefined ? SCENARIOS : SCENARIOS.filter((scenario) => scenario.id === args.only);
if (!chosen.length) throw new Error(`--only must be one of ${SCENARIOS.map((scenario) => scenario.id).join(', ')}, not ${args.only}`);
const scenarios = args.profile && args.only === undefined ? [federationScenario] : chosen;
const loadAtStart = loadAverage();
const reports: ScenarioReport[] = [];
for (const scenario of scenarios) {
  console.error(`bench: ${scenario.id}`);
  reports.push(await scenario.run(settings));
}

const document = renderBenchmarks({
  date: new Date(),
  command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
  machine: machineInfo(),
  load: { start: loadAtStart, end: loadAverage() },
  versions: installedVersions(PACKAGES),
  quick: settings.quick,
  scenarios: reports,
});
const out = workDir ? join(workDir, 'BENCHMARKS.md') : fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(out, document);

console.log(reports.flatMap((report) => report.summary).join('\n'));
console.log(`report: ${out}`);
const problems = reports.flatMap((report) => report.problems);
if (problems.length) {
  console.error(`bench: ${problems.length} problem(s):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  process.exitCode = 1;
}
