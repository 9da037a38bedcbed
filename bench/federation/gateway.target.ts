/** What a gateway under test is, for the orchestrator (labels) and for its own process (how to start it). */

export interface TargetInput {
  supergraphSdl: string;
  /** Subgraph name → endpoint; the same URLs are composed into the supergraph. */
  subgraphUrls: Record<string, string>;
  /** REDIS_URL from the orchestrator's configuration, for the targets that keep state in Redis; unset, one is found or started as `npm start` does. */
  redisUrl: string | undefined;
}

export interface RunningTarget {
  /** The GraphQL endpoint the load is sent to. */
  url: string;
  /** Sent with every request, e.g. the bearer token a gateway demands. */
  headers: Record<string, string>;
  close(): Promise<void>;
}

export interface TargetInfo {
  id: TargetId;
  /** Short name in tables. */
  label: string;
  /** How it is set up, for BENCHMARKS.md. */
  setup: string;
  /** Counted in the ratios the issue sets goals for; the others are there to explain them. */
  role: 'subject' | 'baseline' | 'diagnostic';
}

export const TARGETS = [
  {
    id: 'tongban',
    label: '(a) tongban',
    setup: '`startGateway()` from `gateway/gateway.server.ts` with every feature it has, `production: true`, subgraph timeout 10 s, pino at `warn`',
    role: 'subject',
  },
  {
    id: 'apollo-gateway',
    label: '(b) Apollo Gateway',
    setup: 'bare `new ApolloGateway({ supergraphSdl })` + `new ApolloServer({ gateway })` on `startStandaloneServer`, all defaults',
    role: 'baseline',
  },
  {
    id: 'hive-gateway',
    label: '(c) Hive Gateway',
    setup: '`createGatewayRuntime()` on `node:http`, configured as the public benchmark runs it: `--jit` (graphql-jit) and `inboundInflightRequestDeduplication`, landing page and GraphiQL off, logging at `warn`',
    role: 'baseline',
  },
  {
    id: 'hive-gateway-no-dedup',
    label: "(c') Hive, no dedup",
    setup: 'as (c) without inbound in-flight deduplication: shows how much of (c) is deduplication of identical concurrent requests',
    role: 'diagnostic',
  },
] as const satisfies readonly (Omit<TargetInfo, 'id'> & { id: string })[];

export type TargetId = (typeof TARGETS)[number]['id'];
