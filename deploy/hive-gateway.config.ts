import type { GatewayConfigSupergraph, GatewayPlugin } from '@graphql-hive/gateway';
import { GATEWAY_SIGNATURE_HEADER, signGatewayRequest, type GatewayKey } from '../lib/auth/gateway-signature.js';
import { SUBGRAPH_NAMES, type Config } from '../lib/config.js';

/**
 * Hive Gateway serving tongban's supergraph in place of tongban's gateway, from the
 * same settings (lib/config): the supergraph SUPERGRAPH names (polled when a URL),
 * each subgraph where tongban's gateway finds it, the caller's `authorization` and
 * `x-request-id` passed on, SUBGRAPH_TIMEOUT_MS per subgraph fetch, and every
 * subgraph request signed with the first GATEWAY_SIGNING_KEYS key as the subgraphs
 * demand. `deploy/gateway.config.ts` is this for the `hive-gateway` CLI;
 * test/integration/hive-gateway.test.ts serves the integration queries through it.
 */
export function hiveGatewayConfig(config: Config): GatewayConfigSupergraph {
  return {
    supergraph: config.gateway.supergraph.location,
    ...(config.gateway.supergraph.pollMs > 0 ? { pollingInterval: config.gateway.supergraph.pollMs } : {}),
    transportEntries: Object.fromEntries(
      SUBGRAPH_NAMES.map((name) => [name, { location: config.subgraphs[name].url ?? `http://${config.host}:${config.subgraphs[name].port}/graphql` }]),
    ),
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') }),
    },
    // Taken from the caller's header when sent, else generated; passed to every subgraph and answered back.
    requestId: { headerName: 'x-request-id' },
    upstreamTimeout: config.gateway.subgraphTimeoutMs,
    logging: hiveLogLevel(config.logLevel),
    landingPage: false,
    graphiql: config.env !== 'production',
    ...(config.env === 'production' ? { disableIntrospection: {} } : {}),
    plugins: () => [signSubgraphRequests(config.gatewayKeys[0]!)],
  };
}

/**
 * The HMAC tongban's subgraphs require (lib/auth/gateway-signature.ts) over the
 * request as it leaves: method, path, the exact body and the `authorization` the
 * header propagation put on it. It runs after Hive's own fetch hooks (request id,
 * header propagation), as plugins from the config do.
 */
export function signSubgraphRequests(key: GatewayKey): GatewayPlugin {
  return {
    onFetch({ url, options, setOptions, executionRequest }) {
      // A subgraph fetch carries an execution request; a supergraph pull does not, and is not signed.
      if (!executionRequest) return;
      if (typeof options.body !== 'string') throw new Error('tongban subgraphs sign the body as sent: Hive Gateway sent one that is not a string');
      const headers: Record<string, string> = {};
      new Headers(options.headers as Record<string, string> | undefined).forEach((value, name) => (headers[name] = value));
      const { pathname, search } = new URL(url);
      headers[GATEWAY_SIGNATURE_HEADER] = signGatewayRequest(key, {
        method: options.method ?? 'GET',
        target: `${pathname}${search}`,
        body: options.body,
        authorization: headers.authorization,
      });
      setOptions({ ...options, headers });
    },
  };
}

function hiveLogLevel(level: Config['logLevel']): 'debug' | 'info' | 'warn' | 'error' | false {
  switch (level) {
    case 'silent':
      return false;
    case 'trace':
    case 'debug':
      return 'debug';
    case 'fatal':
    case 'error':
      return 'error';
    default:
      return level;
  }
}
