import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DomainError } from '../domain/errors.js';

const SupergraphConfigSchema = z.object({
  federation_version: z.string().optional(),
  subgraphs: z.record(
    z.string().regex(/^[a-z][a-z0-9_-]*$/),
    z.object({ routing_url: z.url(), schema: z.object({ file: z.string().min(1) }) }),
  ),
});

export interface SubgraphSource {
  name: string;
  url: string;
  sdl: string;
}

export class CompositionError extends DomainError {
  constructor(readonly problems: string[]) {
    super('SUPERGRAPH.COMPOSITION_FAILED', `supergraph does not compose:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Reads rover's `supergraph.yaml`; schema files are relative to the YAML file, as rover reads them. */
export function readSupergraphConfig(configPath: string): SubgraphSource[] {
  const config = SupergraphConfigSchema.parse(parseYaml(readFileSync(configPath, 'utf8')));
  const base = dirname(resolve(configPath));
  return Object.entries(config.subgraphs).map(([name, subgraph]) => ({
    name,
    url: subgraph.routing_url,
    sdl: readFileSync(resolve(base, subgraph.schema.file), 'utf8'),
  }));
}

export function composeSupergraph(subgraphs: SubgraphSource[]): string {
  const result = composeServices(
    subgraphs.map((subgraph) => ({ name: subgraph.name, url: subgraph.url, typeDefs: parse(subgraph.sdl) })),
  );
  if (result.errors) throw new CompositionError(result.errors.map((error) => error.message));
  return result.supergraphSdl;
}
