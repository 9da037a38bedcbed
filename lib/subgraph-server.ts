import { readFileSync } from 'node:fs';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parse } from 'graphql';
import { formatError } from './graphql-errors.js';
import { json, startHttpServer, type HttpRequest, type Route, type RunningServer } from './http-server.js';
import type { Logger } from './logger.js';
import { authenticate } from './auth/graphql-auth.js';
import type { TokenVerifier } from './auth/access-token.js';
import type { Caller } from './auth/caller.js';

export interface SubgraphDefinition<TContext extends BaseContext> {
  name: string;
  schemaFile: URL;
  resolvers: GraphQLResolverMap<TContext>;
  /**
   * Built per request for an authenticated caller: DataLoaders live here so
   * batching never crosses requests, and the caller goes with every decision.
   */
  context: (request: HttpRequest, caller: Caller) => Promise<TContext>;
  routes?: Route[];
  /** Checked by /health: the subgraph is healthy only when what it depends on answers. */
  healthCheck?: () => Promise<void>;
}

export function loadSchema(schemaFile: URL) {
  return parse(readFileSync(schemaFile, 'utf8'));
}

/** Where and how a subgraph process serves: the same for all five. */
export interface SubgraphRuntime {
  host: string;
  port: number;
  logger: Logger;
  tokens: TokenVerifier;
}

export async function startSubgraph<TContext extends BaseContext>(
  definition: SubgraphDefinition<TContext>,
  options: SubgraphRuntime,
): Promise<RunningServer> {
  const schema = buildSubgraphSchema({ typeDefs: loadSchema(definition.schemaFile), resolvers: definition.resolvers as GraphQLResolverMap<unknown> });
  const server = new ApolloServer<TContext>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    // Shutdown is ours (lib/shutdown.ts): Apollo's own handler would re-raise the signal mid-drain.
    stopOnTerminationSignals: false,
    // Inline traces feed Apollo's hosted telemetry, which tongban does not use.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled()],
  });
  await server.start();

  const health: Route = {
    method: 'GET',
    path: '/health',
    handler: async () => {
      try {
        await definition.healthCheck?.();
        return json(200, { status: 'ok', subgraph: definition.name });
      } catch (error) {
        return json(503, { status: 'unavailable', subgraph: definition.name, reason: String(error) });
      }
    },
  };

  const http = await startHttpServer({
    host: options.host,
    port: options.port,
    logger: options.logger,
    routes: [health, ...(definition.routes ?? [])],
    graphql: {
      path: '/graphql',
      server,
      // Every subgraph checks the caller itself: one reached directly, not through the gateway, is no way around it.
      context: async (request) => definition.context(request, await authenticate(options.tokens, request)),
    },
  });
  return {
    url: http.url,
    port: http.port,
    close: async () => {
      await http.close();
      await server.stop();
    },
  };
}
