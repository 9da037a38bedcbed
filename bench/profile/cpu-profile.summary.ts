import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * Reads a V8 .cpuprofile (node --cpu-prof) into the tables that say where a
 * gateway's time goes: by package (whose code is it?), by function on its own
 * (self time) and by function with everything it calls (total time).
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** V8's own pseudo-frames: idle time is not work, the others are reported as they are. */
const IDLE = '(idle)';
const TOP = 15;

/** The main thread's profile (thread 0 in `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`); tsx's loader thread writes one too. */
export function newestProfile(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const files = readdirSync(dir).filter((file) => /\.\d+\.0\.\d+\.cpuprofile$/.test(file)).sort();
  const newest = files.at(-1);
  if (!newest) throw new Error(`no CPU profile was written to ${dir}`);
  return join(dir, newest);
}

export function renderProfileSummary(title: string, path: string): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const packages = new Map<string, number>();
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id)!;
    const us = profile.timeDeltas[i] ?? 0;
    if (node.callFrame.functionName === IDLE) return;
    busyUs += us;
    add(self, frameName(node.callFrame), us);
    add(packages, owner(node.callFrame), us);
    // Each function once per sample, however often it recurs on the stack.
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = nodes.get(at)!.callFrame;
      if (frame.functionName === '(root)') continue;
      onStack.add(frameName(frame));
    }
    for (const name of onStack) add(total, name, us);
  });

  const table = (heading: string, values: Map<string, number>) => [
    `| ${heading} | ms | share of busy time |`,
    '|---|---:|---:|',
    ...[...values]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([name, us]) => `| ${name.replaceAll('|', '\\|')} | ${(us / 1000).toFixed(0)} | ${((us / busyUs) * 100).toFixed(1)} % |`),
  ];
  return [
    `### ${title}`,
    '',
    `\`${relative(ROOT, path)}\`: ${(busyUs / 1000).toFixed(0)} ms of busy CPU time (start, warm-up and measured window together).`,
    '',
    ...table('code of', packages),
    '',
    ...table('function (self time)', self),
    '',
    ...table('function (total time, with callees)', total),
  ].join('\n');
}

function add(map: Map<string, number>, key: string, us: number): void {
  map.set(key, (map.get(key) ?? 0) + us);
}

function frameName(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  return `${name} ${shortLocation(frame.url)}:${frame.lineNumber + 1}`;
}

function shortLocation(url: string): string {
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const inModules = path.lastIndexOf('node_modules/');
  return inModules >= 0 ? path.slice(inModules + 'node_modules/'.length) : relative(ROOT, path) || path;
}

/** The npm package a frame's code belongs to, the project folder for our own code, or Node / V8. */
function owner(frame: CallFrame): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : 'V8 / native';
  if (frame.url.startsWith('node:')) return 'node (core)';
  const path = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
  const inModules = path.lastIndexOf('node_modules/');
  if (inModules < 0) return `tongban: ${relative(ROOT, path).split('/')[0]}/`;
  const [scope, name] = path.slice(inModules + 'node_modules/'.length).split('/');
  return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? path);
}
