import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createGatewayRuntime,
  createLoggerFromLogging,
  getBuiltinPluginsFromConfig,
  getCacheInstanceFromConfig,
  MemPubSub,
} from '@graphql-hive/gateway';
import type { RunningTarget, TargetInput } from './gateway.target.js';

/**
 * Hive Gateway put together the way its CLI (`hive-gateway supergraph --jit`) does it,
 * but in this process so that it serves on node:http like the other targets, without
 * the CLI's cluster workers (every target is one process).
 */
export async function startHiveGateway(input: TargetInput, options: { dedup: boolean }): Promise<RunningTarget> {
  const log = createLoggerFromLogging('warn');
  const pubsub = new MemPubSub();
  const cwd = process.cwd();
  const cache = await getCacheInstanceFromConfig({}, { log, pubsub, cwd });
  const builtinPlugins = await getBuiltinPluginsFromConfig({ jit: true }, { log, cache, pubsub, cwd });
  const runtime = createGatewayRuntime({
    supergraph: input.supergraphSdl,
    logging: log,
    cache,
    pubsub,
    landingPage: false,
    graphiql: false,
    inboundInflightRequestDeduplication: options.dedup,
    plugins: () => builtinPlugins,
  });
  const server = createServer(runtime);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    headers: {},
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await runtime.dispose();
    },
  };
}
