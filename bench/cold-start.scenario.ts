import { loadConfig } from '../lib/config.js';
import { NPM_START, startLikeNpmStart } from '../test/support/npm-start.kit.js';
import type { Scenario } from './scenario.types.js';

interface Target {
  label: string;
  /** What `npm start` runs (or ran), without npm's own start-up, which is the same for every target. */
  command: string;
  /** A fresh compile cache for tsx: a fresh clone's first start. */
  freshTmp: boolean;
}

const TSX_START = 'exec node_modules/.bin/tsx scripts/start.ts';
const TARGETS: Target[] = [
  { label: 'tongban: build into dist/, then plain Node (`npm start` now)', command: NPM_START, freshTmp: false },
  { label: 'peer: every process under tsx, compile cache warm (`npm start` before)', command: TSX_START, freshTmp: false },
  { label: 'peer: every process under tsx, first start (empty compile cache)', command: TSX_START, freshTmp: true },
];

async function timeStart(target: Target, redisUrl: string | undefined): Promise<{ readyMs: number; stages: string }> {
  const stack = await startLikeNpmStart(target.command, { redisUrl, freshTmp: target.freshTmp });
  const stages = /up after (.*)$/m.exec(stack.output())?.[1] ?? '';
  const code = await stack.stop();
  if (code !== 0) throw new Error(`${target.label}: Ctrl-C ended it with ${code}:\n${stack.output().slice(-2000)}`);
  return { readyMs: stack.readyMs, stages };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** `npm start` to a ready gateway (issue #20, item 4): what a newcomer waits for, and what a restart after a deploy costs. */
export const coldStartScenario: Scenario = {
  id: 'cold-start',
  async run(settings) {
    const redisUrl = loadConfig().redis.url;
    const rows: { target: Target; times: number[]; stages: string }[] = [];
    for (const target of TARGETS) {
      const times: number[] = [];
      let stages = '';
      // The first of each target is a warm-up (disk cache, tsx cache for the warm peer) and is not counted.
      for (let round = 0; round <= settings.rounds; round++) {
        const result = await timeStart(target, redisUrl);
        if (round === 0) continue;
        times.push(result.readyMs);
        stages = result.stages;
      }
      rows.push({ target, times, stages });
    }
    const ours = median(rows[0]!.times);
    return {
      markdown: [
        '## Cold start',
        '',
        `\`bench/cold-start.scenario.ts\`: the whole stack (4 sandboxes, 5 subgraphs, workers, gateway: 8 processes) started as \`npm start\` starts it, on free ports and a key prefix of its own, timed from the spawn to the gateway's \`/ready\`, then stopped with Ctrl-C; median of ${settings.rounds} after one uncounted start. Stages are the last start's own report (from start.ts's first line).`,
        '',
        '| target | to /ready (median) | starts | stages |',
        '|---|---:|---|---|',
        ...rows.map(({ target, times, stages }) => `| ${target.label} | ${(median(times) / 1000).toFixed(1)} s | ${times.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s | ${stages} |`),
        '',
        `Built: ${(ours / 1000).toFixed(1)} s, ${(median(rows[1]!.times) / ours).toFixed(1)}× faster than under tsx with its cache warm and ${(median(rows[2]!.times) / ours).toFixed(1)}× on a first start.`,
      ].join('\n'),
      summary: rows.map(({ target, times }) => `${target.label}: ${(median(times) / 1000).toFixed(1)} s to /ready`),
      problems: ours > 10_000 ? [`npm start took ${(ours / 1000).toFixed(1)} s to /ready, over the 10 s goal`] : [],
    };
  },
};
