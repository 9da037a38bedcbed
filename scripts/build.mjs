/**
 * Transpiles the services into dist/, one .js per .ts in the same layout, so
 * that `npm start` and the `start:*` scripts run plain Node: under tsx, every
 * start of each of the eight processes compiled the whole tree again. Files the
 * code reads next to itself (schemas, data) are copied beside their modules.
 * It takes well under a second, so every start builds afresh and dist/ never
 * serves stale code. Each file is written aside and renamed into place: services
 * started together (each `start:*` script builds) may build at the same time,
 * and a process loading a module then reads the old file or the new, whole.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist');
const SOURCES = ['adapters', 'domain', 'gateway', 'jobs', 'ledger', 'lib', 'queues', 'scripts', 'subgraphs'];
const ASSETS = /\.(graphql|json)$/;

const files = SOURCES.flatMap((dir) =>
  readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name)),
);

const { outputFiles } = await build({
  entryPoints: files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')),
  outdir: out,
  outbase: root,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  write: false,
});

function writeInPlace(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, contents);
  renameSync(aside, path);
}

for (const file of outputFiles) writeInPlace(file.path, file.contents);
for (const file of [...files.filter((file) => ASSETS.test(file)), join(root, 'supergraph.graphql')]) {
  writeInPlace(join(out, file.slice(root.length)), readFileSync(file));
}
