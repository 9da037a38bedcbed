import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import type { RunningTarget, TargetInput } from './gateway.target.js';

/** The baseline the issue measures against: what `@apollo/gateway`'s README sets up, nothing tuned. */
export async function startApolloGateway(input: TargetInput): Promise<RunningTarget> {
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: input.supergraphSdl }) });
  const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
  return { url, headers: {}, close: () => server.stop() };
}
