/** One gateway under test as a child process of bench/run.ts; which one is the `start` request's to say. */
import { serveParent } from '../child.ipc.js';
import type { RunningTarget, TargetId, TargetInput } from './gateway.target.js';

// Imported lazily: each process loads only the gateway it runs, so no target pays for another's modules.
const starters: Record<TargetId, (input: TargetInput) => Promise<RunningTarget>> = {
  tongban: async (input) => (await import('./tongban.target.js')).startTongban(input),
  'apollo-gateway': async (input) => (await import('./apollo-gateway.target.js')).startApolloGateway(input),
  'hive-gateway': async (input) => (await import('./hive-gateway.target.js')).startHiveGateway(input, { dedup: true }),
  'hive-gateway-no-dedup': async (input) => (await import('./hive-gateway.target.js')).startHiveGateway(input, { dedup: false }),
};

/*
 * tsx turns on source-mapped stack traces, which makes every read of `error.stack`
 * several times costlier than in a compiled deployment; Apollo's default subgraph
 * fetcher reads one per subgraph request (agent-base's isSecureEndpoint). Off for
 * every target alike: the benchmark measures the gateways, not tsx.
 */
process.setSourceMapsEnabled(false);

let running: RunningTarget | undefined;

serveParent(
  {
    start: async ({ target, input }: { target: TargetId; input: TargetInput }) => {
      if (running) throw new Error('a gateway is already running in this process');
      running = await starters[target](input);
      return { url: running.url, headers: running.headers };
    },
    cpuUsage: () => process.cpuUsage(),
  },
  async () => {
    await running?.close();
  },
);
