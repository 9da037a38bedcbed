import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The folders' layers, top to bottom. A file may import from its own folder
 * and from any folder below its layer, never from its layer's other folders nor
 * from above: `gateway → subgraphs → ledger ← jobs`, `ledger → adapters → domain`.
 * `queues` holds the BullMQ side of the ledger's ports (its producers, names and
 * admin reads), which the subgraphs enqueue on and the workers consume, so that
 * neither imports the other; `lib` is the kit every service shares. A file
 * belongs to the longest folder here that holds it: `test/support`, the
 * in-process stack, is what the benchmarks and the soak run drive too.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['test'],
  ['scripts', 'bench', 'deploy'],
  ['test/support'],
  ['gateway'],
  ['subgraphs', 'jobs'],
  ['queues'],
  ['ledger'],
  ['lib'],
  ['adapters'],
  ['domain'],
];

/** Packages a layer may not depend on: the ledger holds state and rules, not transports; the rules hold nothing but rules. */
const FORBIDDEN_PACKAGES: Record<string, readonly string[]> = {
  ledger: ['bullmq', 'graphql', '@apollo/', 'dataloader'],
  adapters: ['bullmq', 'graphql', '@apollo/', 'ioredis'],
  domain: ['bullmq', 'graphql', '@apollo/', 'ioredis', 'node:http'],
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^[ \t]*import[ \t]+)(['"])([^'"]+)\1/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name.startsWith('.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs)$/.test(name) ? [path] : [];
  });
}

const FOLDERS = LAYERS.flat().sort((a, b) => b.length - a.length);
const layerOf = (folder: string) => LAYERS.findIndex((layer) => layer.includes(folder));
/** The folder of LAYERS a path belongs to, else its top-level folder. */
const folderOf = (path: string) => {
  const rel = relative(root, path).split(sep).join('/');
  return FOLDERS.find((folder) => rel === folder || rel.startsWith(`${folder}/`)) ?? rel.split('/')[0]!;
};

interface Import {
  file: string;
  line: number;
  specifier: string;
  target: string;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(SPECIFIER)].map((match) => ({
    file: relative(root, file),
    line: text.slice(0, match.index).split('\n').length,
    specifier: match[2]!,
    target: match[2]!.startsWith('.') ? folderOf(resolve(dirname(file), match[2]!)) : match[2]!,
  }));
}

/** Why an import breaks the layering, or null when it may stand. */
export function violation(from: string, imported: Import): string | null {
  if (imported.specifier.startsWith('.')) {
    const to = imported.target;
    if (to === from) return null;
    const [own, theirs] = [layerOf(from), layerOf(to)];
    if (theirs === -1) return `imports ${to}/, which is in no layer`;
    if (theirs === own) return `imports ${to}/, a folder of its own layer`;
    if (theirs < own) return `imports ${to}/, which is above ${from}/`;
    return null;
  }
  const banned = FORBIDDEN_PACKAGES[from]?.find((name) => imported.specifier === name || (name.endsWith('/') && imported.specifier.startsWith(name)));
  return banned ? `imports the package ${imported.specifier}, which ${from}/ may not use` : null;
}

const files = [...new Set(LAYERS.flat().flatMap((folder) => sourceFiles(join(root, folder))))];

describe('layers', () => {
  it('places every top-level folder holding code in a layer', () => {
    const folders = new Set(
      readdirSync(root)
        .filter((name) => name !== 'node_modules' && !name.startsWith('.') && statSync(join(root, name)).isDirectory())
        .filter((name) => sourceFiles(join(root, name)).length > 0),
    );
    expect([...folders].filter((folder) => layerOf(folder) === -1)).toEqual([]);
  });

  it('has every import run down the layers', () => {
    const broken = files.flatMap((file) =>
      importsOf(file).flatMap((imported) => {
        const why = violation(folderOf(file), imported);
        return why ? [`${imported.file}:${imported.line} ${imported.specifier}: ${why}`] : [];
      }),
    );
    expect(broken).toEqual([]);
  });

  it('reads every kind of import the code uses', () => {
    const ledger = files.filter((file) => folderOf(file) === 'ledger').flatMap(importsOf);
    expect(ledger.length).toBeGreaterThan(50);
    expect(ledger.some((imported) => imported.target === 'domain')).toBe(true);
    const dynamic = files.filter((file) => folderOf(file) === 'scripts').flatMap(importsOf);
    expect(dynamic.length).toBeGreaterThan(0);
  });

  it('refuses an import back up, across a layer, or of a forbidden package', () => {
    const at = (specifier: string, target: string): Import => ({ file: 'x.ts', line: 1, specifier, target });
    expect(violation('ledger', at('../../subgraphs/cases/server.js', 'subgraphs'))).toMatch(/above/);
    expect(violation('jobs', at('../subgraphs/courier/shipment.store.js', 'subgraphs'))).toMatch(/own layer/);
    expect(violation('subgraphs', at('../../jobs/queue-admin.js', 'jobs'))).toMatch(/own layer/);
    expect(violation('ledger', at('../../queues/notifications.queue.js', 'queues'))).toMatch(/above/);
    expect(violation('adapters', at('../../lib/config.js', 'lib'))).toMatch(/above/);
    expect(violation('ledger', at('bullmq', 'bullmq'))).toMatch(/may not use/);
    expect(violation('ledger', at('@apollo/server', '@apollo/server'))).toMatch(/may not use/);
    expect(violation('subgraphs', at('../../ledger/ledger.js', 'ledger'))).toBeNull();
    expect(violation('jobs', at('../ledger/ledger.js', 'ledger'))).toBeNull();
    expect(violation('gateway', at('../queues/queue-admin.js', 'queues'))).toBeNull();
    expect(violation('bench', at('../../test/support/stack.js', 'test/support'))).toBeNull();
    expect(violation('test/support', at('../integration/x.test.js', 'test'))).toMatch(/above/);
  });
});
