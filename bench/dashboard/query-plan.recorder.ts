import { ApolloGateway, RemoteGraphQLDataSource, type Experimental_DidResolveQueryPlanCallback } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { GATEWAY_SIGNATURE_HEADER, signGatewayRequest, type GatewayKey } from '../../lib/auth/gateway-signature.js';

type QueryPlan = Parameters<Experimental_DidResolveQueryPlanCallback>[0]['queryPlan'];
type PlanNode = NonNullable<QueryPlan['node']>;

/** One subgraph request exactly as a gateway sent it, and the subgraph's answer to it. */
export interface RecordedFetch {
  subgraph: string;
  url: string;
  /** The JSON body, byte for byte: operation, its name and variables (representations included). */
  body: string;
  answer: string;
}

/** A query plan's fetches in the plan's own shape: a sequence waits for each step, a parallel group for all at once. */
export type Replay = { kind: 'fetch'; fetch: RecordedFetch } | { kind: 'sequence' | 'parallel'; steps: Replay[] };

interface RecorderContext {
  authorization: string;
}

/** Apollo's own data source, which builds the bodies every Apollo Gateway sends, writing down each exchange. */
class RecordingDataSource extends RemoteGraphQLDataSource<RecorderContext> {
  constructor(name: string, url: string, log: RecordedFetch[], signingKey: GatewayKey) {
    const { pathname, search } = new URL(url);
    super({
      url,
      fetcher: (async (input: string, init: RequestInit & { headers: Record<string, string> }) => {
        const signature = signGatewayRequest(signingKey, { method: 'POST', target: `${pathname}${search}`, body: String(init.body), authorization: init.headers.authorization });
        const response = await fetch(input, { ...init, headers: { ...init.headers, [GATEWAY_SIGNATURE_HEADER]: signature } });
        log.push({ subgraph: name, url, body: String(init.body), answer: await response.clone().text() });
        return response;
      }) as unknown as RemoteGraphQLDataSource['fetcher'],
    });
  }

  override willSendRequest({ request, context }: Parameters<NonNullable<RemoteGraphQLDataSource<RecorderContext>['willSendRequest']>>[0]): void {
    request.http?.headers.set('authorization', context.authorization);
  }
}

/**
 * Plans and executes one request with Apollo Gateway over the same supergraph and
 * subgraphs as tongban's (the same planner, so the same plan), and returns the plan
 * with each of its fetches filled in with what was actually sent and received.
 */
export async function recordQueryPlan(input: {
  supergraphSdl: string;
  subgraphUrls: Record<string, string>;
  query: string;
  variables: Record<string, unknown>;
  authorization: string;
  signingKey: GatewayKey;
}): Promise<Replay> {
  // As in gateway/gateway.server.ts: no cloud metadata probes or usage reports from a government network.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const recorded: RecordedFetch[] = [];
  let plan: QueryPlan | undefined;
  const gateway = new ApolloGateway({
    supergraphSdl: input.supergraphSdl,
    buildService: ({ name }) => {
      const url = input.subgraphUrls[name];
      if (!url) throw new Error(`no URL for subgraph ${name}`);
      return new RecordingDataSource(name, url, recorded, input.signingKey);
    },
    experimental_didResolveQueryPlan: ({ queryPlan }) => {
      plan = queryPlan;
    },
  });
  const server = new ApolloServer<RecorderContext>({ gateway });
  await server.start();
  try {
    const response = await server.executeOperation(
      { query: input.query, variables: input.variables },
      { contextValue: { authorization: input.authorization } },
    );
    if (response.body.kind !== 'single' || response.body.singleResult.errors?.length) {
      throw new Error(`Apollo Gateway could not answer the query to record: ${JSON.stringify(response.body).slice(0, 1000)}`);
    }
  } finally {
    await server.stop();
  }
  if (!plan?.node) throw new Error('Apollo Gateway made no query plan with fetches');
  const replay = toReplay(plan.node, recorded);
  if (fetchesOf(replay).length !== recorded.length) {
    throw new Error(`the plan has ${fetchesOf(replay).length} fetches but ${recorded.length} requests were sent`);
  }
  return replay;
}

function toReplay(node: PlanNode, recorded: RecordedFetch[]): Replay {
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return { kind: node.kind === 'Sequence' ? 'sequence' : 'parallel', steps: node.nodes.map((child) => toReplay(child, recorded)) };
    case 'Flatten':
      return toReplay(node.node, recorded);
    case 'Fetch': {
      // Apollo names each fetch's operation after the query, the subgraph and its place in the plan, so it is unique.
      const sent = recorded.filter((fetch) => fetch.subgraph === node.serviceName && JSON.parse(fetch.body).query === node.operation);
      if (sent.length !== 1) throw new Error(`${sent.length} requests were sent for the plan's fetch ${node.operationName} from ${node.serviceName}`);
      return { kind: 'fetch', fetch: sent[0]! };
    }
    default:
      throw new Error(`the floor does not replay ${node.kind} nodes`);
  }
}

export function fetchesOf(replay: Replay): RecordedFetch[] {
  return replay.kind === 'fetch' ? [replay.fetch] : replay.steps.flatMap(fetchesOf);
}

/** The plan in a line, e.g. `cases → (windows ∥ chongqing ∥ sichuan)`. */
export function describeReplay(replay: Replay): string {
  if (replay.kind === 'fetch') return replay.fetch.subgraph;
  const parts = replay.steps.map((step) => (step.kind === 'fetch' ? describeReplay(step) : `(${describeReplay(step)})`));
  return parts.join(replay.kind === 'sequence' ? ' → ' : ' ∥ ');
}
