import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { SUBGRAPHS } from './subgraphs.server.js';

/**
 * Composed at every run rather than committed: the subgraphs listen on ports chosen
 * at start, and every gateway under test must read the very same supergraph with
 * those routing URLs in it.
 */
export function composeSupergraph(urls: Record<string, string>): string {
  const result = composeServices(
    SUBGRAPHS.map((subgraph) => {
      const url = urls[subgraph.name];
      if (!url) throw new Error(`no URL for subgraph ${subgraph.name}`);
      return { name: subgraph.name, url, typeDefs: parse(subgraph.typeDefs) };
    }),
  );
  if (result.errors) throw new Error(`benchmark supergraph does not compose:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  return result.supergraphSdl;
}
