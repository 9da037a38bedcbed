import { readFileSync } from 'node:fs';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { GraphQLError, parse, type ValidationRule } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { checkGatewaySignatureHead, verifyGatewaySignature, type GatewayKey } from './auth/gateway-signature.js';
import { checkMeasure, DEFAULT_LIMITS, documentLimitRules, MAX_TOKENS, measureOperation } from './graphql-limits.js';
import { formatError } from './graphql-errors.js';
import { json, refusal, startHttpServer, type HttpRequest, type Route, type RunningServer } from './http-server.js';
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
  /** Routes others call directly (platform webhooks, each with its own signature). */
  routes?: Route[];
  /** Routes only the gateway calls: refused unless it signed the request (lib/auth/gateway-signature.ts). */
  gatewayRoutes?: Route[];
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
  /** Keys whose gateway signatures are accepted. */
  gatewayKeys: readonly GatewayKey[];
}

export async function startSubgraph<TContext extends BaseContext>(
  definition: SubgraphDefinition<TContext>,
  options: SubgraphRuntime,
): Promise<RunningServer> {
  const schema = buildSubgraphSchema({ typeDefs: loadSchema(definition.schemaFile), resolvers: definition.resolvers as GraphQLResolverMap<unknown> });
  const server = new ApolloServer<TContext>({
    schema,
    formatError,
    // A second line behind the gateway's: the same token, depth, alias and directive limits, and the same count of writes.
    parseOptions: { maxTokens: MAX_TOKENS },
    validationRules: [...documentLimitRules({ ...DEFAULT_LIMITS, maxDepth: DEFAULT_LIMITS.maxDepth + 1 }), schemaNotServed],
    includeStacktraceInErrorResponses: false,
    // Shutdown is ours (lib/shutdown.ts): Apollo's own handler would re-raise the signal mid-drain.
    stopOnTerminationSignals: false,
    // Inline traces feed Apollo's hosted telemetry, which tongban does not use.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), mutationFieldLimit],
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
    routes: [health, ...(definition.routes ?? []), ...(definition.gatewayRoutes ?? []).map((route) => fromGatewayOnly(route, options.gatewayKeys))],
    graphql: {
      path: '/graphql',
      server,
      // Only the gateway, whose limits the caller passed, may ask; and the caller is checked here again all the same.
      authenticate: async (request) => ({
        signature: checkGatewaySignatureHead(options.gatewayKeys, request),
        caller: await authenticate(options.tokens, request),
      }),
      admit: (request, { signature }) => verifyGatewaySignature(signature, request),
      context: (request, { caller }) => definition.context(request, caller),
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

function fromGatewayOnly(route: Route, keys: readonly GatewayKey[]): Route {
  return {
    ...route,
    handler: async (request) => {
      try {
        verifyGatewaySignature(checkGatewaySignatureHead(keys, request), request);
      } catch (error) {
        return refusal(error, request);
      }
      return route.handler(request);
    },
  };
}

/**
 * The composition step reads the schema files (supergraph.yaml); the gateway runs
 * on the composed supergraph. No one else needs a subgraph's SDL, which maps
 * fields the API schema hides.
 */
const schemaNotServed: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '_service' && context.getParentType()?.name === 'Query') {
      context.reportError(new GraphQLError('subgraph schemas are not served: compose from the schema files', { extensions: { limit: 'FEDERATION.SDL_NOT_SERVED' } }));
    }
  },
});

const mutationFieldLimit: ApolloServerPlugin<BaseContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ schema, document, operation, request }) {
        if (operation?.operation === 'mutation') checkMeasure(measureOperation(schema, document, operation, request.variables, new Map()));
      },
    };
  },
};
