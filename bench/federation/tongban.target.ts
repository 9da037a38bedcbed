import { randomBytes } from 'node:crypto';
import { startGateway } from '../../gateway/gateway.server.js';
import { createTokenVerifier, issueToken, type TokenSettings } from '../../lib/auth/access-token.js';
import { findOrStartRedis } from '../../lib/local-redis.js';
import { createLogger } from '../../lib/logger.js';
import { createRedis, deleteKeysWithPrefix } from '../../lib/redis.js';
import type { RunningTarget, TargetInput } from './gateway.target.js';

export async function startTongban(input: TargetInput): Promise<RunningTarget> {
  // A key of this run's own: the token is real (signature, claims and all are verified), just not one production accepts.
  const tokens: TokenSettings = { secret: randomBytes(32).toString('hex'), jwksUrl: undefined, issuer: 'tongban-bench', audience: 'tongban' };
  const token = await issueToken(tokens, { subject: 'bench', role: 'SUPERVISOR', region: 'CHONGQING', windowId: null });
  // Redis as `npm start` finds it; only the mutation budget uses it, and the benchmark sends no mutation.
  const localRedis = await findOrStartRedis(input.redisUrl);
  const prefix = `tongban-bench:${process.pid}:`;
  const redis = createRedis(localRedis.url, prefix);
  const gateway = await startGateway({
    host: '127.0.0.1',
    port: 0,
    supergraphSdl: input.supergraphSdl,
    subgraphUrls: input.subgraphUrls,
    subgraphTimeoutMs: 10_000,
    production: true,
    // `warn`, as deployed: per-request work such as the request-id mixin stays measured.
    logger: createLogger({ level: 'warn', service: 'gateway' }),
    tokens: createTokenVerifier(tokens),
    // The benchmark's subgraphs check no signature; signing is measured all the same.
    signingKey: { id: 'bench', secret: randomBytes(32).toString('hex') },
    redis,
    mutationsPerMinute: 60,
  });
  return {
    url: `${gateway.url}/graphql`,
    headers: { authorization: `Bearer ${token}` },
    close: async () => {
      await gateway.close();
      redis.disconnect();
      // The gateway's views of the job queues leave their meta keys under the prefix.
      await deleteKeysWithPrefix(localRedis.url, prefix);
      await localRedis.stop();
    },
  };
}
