/** tongban's gateway as a child process of bench/run.ts, over the subgraphs of the stack process. */
import { startGateway, type RunningGateway } from '../../gateway/gateway.server.js';
import { createTokenVerifier, type TokenSettings } from '../../lib/auth/access-token.js';
import type { GatewayKey } from '../../lib/auth/gateway-signature.js';
import { freePort } from '../../lib/local-redis.js';
import { createLogger } from '../../lib/logger.js';
import { createRedis } from '../../lib/redis.js';
import { serveParent } from '../child.ipc.js';

export interface GatewayInput {
  supergraphSdl: string;
  subgraphUrls: Record<string, string>;
  /** The stack's token settings: the callers' tokens are real, and verified as in production. */
  auth: TokenSettings;
  /** The key the stack's subgraphs accept. */
  signingKey: GatewayKey;
  /** The stack's Redis and key prefix, which the stack removes when it stops. */
  redis: { url: string; prefix: string };
  subgraphTimeoutMs: number;
}

export interface GatewayEndpoint {
  url: string;
  metricsUrl: string;
}

// As in bench/federation/gateway.process.ts: tsx's source-mapped stack traces are not what is measured.
process.setSourceMapsEnabled(false);

let running: { gateway: RunningGateway; redis: ReturnType<typeof createRedis> } | undefined;

serveParent(
  {
    start: async (input: GatewayInput): Promise<GatewayEndpoint> => {
      if (running) throw new Error('a gateway is already running in this process');
      const redis = createRedis(input.redis.url, `${input.redis.prefix}bench-gateway:`);
      // As deployed: metrics on an internal listener of their own, not on the API port.
      const metricsPort = await freePort();
      const gateway = await startGateway({
        host: '127.0.0.1',
        port: 0,
        supergraphSdl: input.supergraphSdl,
        subgraphUrls: input.subgraphUrls,
        subgraphTimeoutMs: input.subgraphTimeoutMs,
        production: true,
        // `warn`, as deployed: per-request work such as the request-id mixin stays measured.
        logger: createLogger({ level: 'warn', service: 'gateway' }),
        tokens: createTokenVerifier(input.auth),
        signingKey: input.signingKey,
        redis,
        mutationsPerMinute: 60,
        metricsListener: { host: '127.0.0.1', port: metricsPort },
      });
      running = { gateway, redis };
      return { url: `${gateway.url}/graphql`, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
    },
    cpuUsage: () => process.cpuUsage(),
  },
  async () => {
    await running?.gateway.close();
    running?.redis.disconnect();
  },
);
