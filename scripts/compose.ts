/**
 * `npm run compose` writes supergraph.graphql from supergraph.yaml;
 * `npm run compose -- --check` fails when the committed file is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { composeSupergraph, readSupergraphConfig } from '../gateway/supergraph.js';

const check = process.argv.includes('--check');
const sdl = composeSupergraph(readSupergraphConfig('supergraph.yaml'));
if (check) {
  const committed = readFileSync('supergraph.graphql', 'utf8');
  if (committed !== sdl) {
    console.error('supergraph.graphql is out of date: run `npm run compose` and commit it');
    process.exit(1);
  }
  console.log('supergraph.graphql is up to date');
} else {
  writeFileSync('supergraph.graphql', sdl);
  console.log(`wrote supergraph.graphql (${sdl.length} bytes)`);
}
