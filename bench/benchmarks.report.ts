import type { MachineInfo } from './machine.info.js';
import type { ScenarioReport } from './scenario.types.js';

export interface BenchmarksDocument {
  date: Date;
  command: string;
  machine: MachineInfo;
  load: { start: number; end: number };
  versions: Record<string, string>;
  quick: boolean;
  scenarios: ScenarioReport[];
}

/** BENCHMARKS.md, whole: bench/run.ts rewrites it on every full run. */
export function renderBenchmarks(doc: BenchmarksDocument): string {
  const { machine } = doc;
  return [
    '# Benchmarks',
    '',
    `Written by \`${doc.command}\` (\`bench/run.ts\`) on ${doc.date.toISOString().slice(0, 16).replace('T', ' ')} UTC; rerun it rather than edit this file.`,
    ...(doc.quick ? ['', '> **Quick smoke run**: a few seconds per target, one round. These figures show that the harness works, not how fast anything is.'] : []),
    '',
    '- `npm run bench`: every scenario, full length (about 14 minutes); writes this file.',
    '- `npm run bench -- --quick`: the same in a few seconds per target, for smoke runs; writes to the temporary directory, never here.',
    '- `npm run bench -- --profile`: the federation scenario once (or, with `--only`, that one), each server under test under `node --cpu-prof`; writes profiles and their summaries to the temporary directory.',
    '- `--rounds N` sets how many times each gateway is measured (median reported).',
    '',
    '## Machine',
    '',
    '| CPU | cores | memory | Node | OS | load average (1 min) before · after |',
    '|---|---:|---:|---|---|---|',
    `| ${machine.cpuModel} | ${machine.cores} | ${machine.memoryGiB.toFixed(1)} GiB | ${machine.node} | ${machine.os} | ${doc.load.start.toFixed(2)} · ${doc.load.end.toFixed(2)} |`,
    '',
    'Everything runs on this one machine: gateway, subgraphs and load generator share its cores, as they would not in production. Absolute figures are therefore low and only comparable between runs on the same kind of machine; the ratios between gateways are what the figures are for.',
    '',
    '## Packages',
    '',
    '| package | version |',
    '|---|---|',
    ...Object.entries(doc.versions).map(([name, version]) => `| \`${name}\` | ${version} |`),
    '',
    ...doc.scenarios.flatMap((scenario) => [scenario.markdown, '']),
  ].join('\n');
}
