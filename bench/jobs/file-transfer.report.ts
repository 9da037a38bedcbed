import { seconds, whole } from '../figures.format.js';
import { machineInfo } from '../machine.info.js';
import type { BenchSettings, ScenarioReport } from '../scenario.types.js';

/** The file-transfer scenario's figures and its section of BENCHMARKS.md. */

/** The worker host's default, which jobs/main.ts runs with; the raw path keeps as many uploads going. */
export const CONCURRENCY = 8;
export const FILES_PER_CASE = 5;
const MIB = 2 ** 20;
/** The image's bytes; the PDF around it and its label add about 1 KB. */
export const NOISE_BYTES = 2 * MIB - 4 * 1024;
export const SAMPLE_MS = 100;

export interface Memory {
  before: number;
  peak: number;
  after: number;
  samples: number;
}

export interface PathFigures {
  bytes: number;
  files: number;
  ms: number;
  memory: Memory;
}

const mb = (bytes: number) => (bytes / MIB).toFixed(1);
const rate = (figures: PathFigures) => figures.bytes / MIB / (figures.ms / 1000);

/** RSS may rise by less than half of what is on the wire at once: holding the files whole would take all of it, and more. */
const FLAT_SHARE = 0.5;

export function report(
  settings: BenchSettings,
  counts: { cases: number; memoryCases: number },
  paths: { tongban?: PathFigures; raw?: PathFigures; crowd?: PathFigures },
  load: { start: number; end: number },
  problems: string[],
): ScenarioReport {
  const machine = machineInfo();
  const { tongban, raw, crowd } = paths;
  const fileBytes = NOISE_BYTES + 1024;
  const onWire = counts.memoryCases * fileBytes;
  const rise = crowd ? crowd.memory.peak - crowd.memory.before : undefined;
  const flat = rise !== undefined && rise < onWire * FLAT_SHARE;
  if (rise !== undefined && !flat) problems.push(`file-transfer: the worker's RSS rose by ${mb(rise)} MiB with ${mb(onWire)} MiB on the wire at once: files are held, not streamed`);
  const row = (label: string, figures?: PathFigures) =>
    figures ? `| ${label} | ${whole(figures.files)} | ${mb(figures.bytes)} MiB | ${seconds(figures.ms)} | **${rate(figures).toFixed(1)}** |` : `| ${label} | — | — | — | — |`;
  const memoryRow = (label: string, figures?: PathFigures) => {
    if (!figures) return `| ${label} | — | — | — | — | — |`;
    const { before, peak, after, samples } = figures.memory;
    return `| ${label} | ${mb(figures.bytes)} MiB | ${mb(before)} MiB | ${mb(peak)} MiB | ${mb(after)} MiB | **${mb(peak - before)} MiB** | ${whole(samples)} |`;
  };
  const ratio = tongban && raw ? rate(tongban) / rate(raw) : undefined;
  return {
    markdown: [
      '## Jobs: file transfer (scans through the worker)',
      '',
      `Measured by \`npm run bench -- --only file-transfer\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(1)} GiB, Node ${machine.node}, ${machine.os}; load average (1 min) ${load.start.toFixed(2)} before · ${load.end.toFixed(2)} after.${settings.quick ? ' **Quick smoke run.**' : ''}`,
      '',
      `\`bench/jobs/file-transfer.scenario.ts\`: cases dispatched ONLINE, each with ${FILES_PER_CASE} scans of 2 MiB (valid one-page PDFs: an incompressible noise image under a line naming the case, so every file has its own digest). **tongban**: ${counts.cases} cases (${mb(counts.cases * FILES_PER_CASE * fileBytes)} MiB), the real material-transfer processor in a real BullMQ worker (this process) at concurrency ${CONCURRENCY}, the worker host's default, reading each case from Redis, streaming its scans one after another from the disk file store to the 渝快办 sandbox (its own process) through the signed client, recording each acknowledgement, then submitting the case; timed from the first job taken to the last completed. **raw**: the same files from the same store through the same client's \`uploadFile\`, ${CONCURRENCY} cases at a time and a case's scans one after another, no queue, no ledger (under business numbers of their own, so the sandbox holds none of them yet). MiB/s is bytes the sandbox acknowledged per second. A warm-up of the raw path over ${CONCURRENCY} cases runs first.`,
      '',
      '| path | files | bytes acknowledged | time | MiB/s |',
      '|---|---:|---:|---:|---:|',
      row('tongban (BullMQ worker, processor, ledger)', tongban),
      row('raw (client `uploadFile` alone)', raw),
      '',
      ratio === undefined ? 'Not measured.' : `tongban moves **${(ratio * 100).toFixed(0)} %** of the raw copy speed of the same bytes to the same sandbox.`,
      '',
      `**Memory**: the RSS of the process running the worker (in the raw row, the bare client), sampled every ${SAMPLE_MS} ms from just before a path starts to just after it ends. The memory pass is tongban again over ${counts.memoryCases} more cases at concurrency ${counts.memoryCases}: ${mb(onWire)} MiB of scans on the wire at once, ${mb(counts.memoryCases * FILES_PER_CASE * fileBytes)} MiB over the pass. The worker shares its process with the benchmark, so "before" includes memory that preparing the cases used and freed and that the allocator still holds; a worker that held each file whole until its answer (as fetch's clone of the request did before it was fixed) showed here as a rise of about the bytes on the wire.`,
      '',
      '| path | passed through | RSS before | peak | after | peak − before | samples |',
      '|---|---:|---:|---:|---:|---:|---:|',
      memoryRow(`tongban, ${CONCURRENCY} at once`, tongban),
      memoryRow(`raw, ${CONCURRENCY} at once`, raw),
      memoryRow(`tongban memory pass, ${counts.memoryCases} at once`, crowd),
      '',
      rise === undefined
        ? 'Memory not measured.'
        : flat
          ? `Bounded: with ${mb(onWire)} MiB on the wire at once the worker's RSS rose by ${mb(rise)} MiB, ${((rise / onWire) * 100).toFixed(0)} % of it (the bound is ${FLAT_SHARE * 100} %; holding the files whole would take all of it): about ${whole(rise / counts.memoryCases / 1024)} KiB per upload in flight, which is stream and socket buffers, a hundred jobs' own state and garbage not yet collected, not files.`
          : `**Not flat**: with ${mb(onWire)} MiB on the wire at once the worker's RSS rose by ${mb(rise)} MiB.`,
    ].join('\n'),
    summary:
      tongban && raw
        ? [`file-transfer: tongban ${rate(tongban).toFixed(1)} MiB/s, raw ${rate(raw).toFixed(1)} MiB/s (${((ratio ?? 0) * 100).toFixed(0)} %), worker RSS +${rise === undefined ? '?' : mb(rise)} MiB with ${mb(onWire)} MiB on the wire`]
        : ['file-transfer: not measured'],
    problems,
  };
}
