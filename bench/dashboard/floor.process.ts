/** The floor (floor.server.ts) as a child process of bench/run.ts, so that it runs apart from the stack it calls, as the gateway does. */
import type { GatewayKey } from '../../lib/auth/gateway-signature.js';
import { serveParent } from '../child.ipc.js';
import { startFloor, type RunningFloor } from './floor.server.js';
import { describeReplay, fetchesOf, recordQueryPlan } from './query-plan.recorder.js';

export interface FloorInput {
  supergraphSdl: string;
  subgraphUrls: Record<string, string>;
  query: string;
  variables: Record<string, unknown>;
  authorization: string;
  /** The key the stack's subgraphs accept. */
  signingKey: GatewayKey;
  subgraphTimeoutMs: number;
}

export interface FloorEndpoint {
  url: string;
  answer: string;
  /** The plan in a line, for the report. */
  plan: string;
  /** Fetches per request by subgraph, to compare with the gateway's own count. */
  fetches: Record<string, number>;
}

// As for the gateway under test (bench/federation/gateway.process.ts): tsx's source-mapped stack traces are not what is measured.
process.setSourceMapsEnabled(false);

let floor: RunningFloor | undefined;

serveParent(
  {
    start: async (input: FloorInput): Promise<FloorEndpoint> => {
      if (floor) throw new Error('a floor is already running in this process');
      const replay = await recordQueryPlan(input);
      floor = await startFloor(replay, input.subgraphTimeoutMs, input.signingKey);
      const fetches: Record<string, number> = {};
      for (const fetch of fetchesOf(replay)) fetches[fetch.subgraph] = (fetches[fetch.subgraph] ?? 0) + 1;
      return { url: floor.url, answer: floor.answer, plan: describeReplay(replay), fetches };
    },
    cpuUsage: () => process.cpuUsage(),
  },
  async () => {
    await floor?.close();
  },
);
