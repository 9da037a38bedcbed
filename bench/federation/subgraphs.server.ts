import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { execute, parse, validate, type DocumentNode, type GraphQLError, type GraphQLSchema } from 'graphql';
import { accounts } from './accounts.subgraph.js';
import { inventory } from './inventory.subgraph.js';
import { products } from './products.subgraph.js';
import { reviews } from './reviews.subgraph.js';

export interface BenchSubgraph {
  name: string;
  typeDefs: string;
  resolvers: GraphQLResolverMap<unknown>;
}

export const SUBGRAPHS: readonly BenchSubgraph[] = [accounts, inventory, products, reviews];

export interface RunningSubgraphs {
  /** Subgraph name → its GraphQL endpoint. */
  urls: Record<string, string>;
  close(): Promise<void>;
}

/** Gateways send a handful of distinct subgraph operations; more than this means something is wrong. */
const MAX_CACHED_DOCUMENTS = 1_000;

interface Endpoint {
  schema: GraphQLSchema;
  documents: Map<string, DocumentNode | readonly GraphQLError[]>;
}

/**
 * The four subgraphs on one plain node:http server, one path each, as the public
 * benchmark serves them. Schemas are @apollo/subgraph's; the request path is kept
 * minimal (documents parsed and validated once, then cached) because the subgraphs
 * share this machine's two cores with the gateway under test, and every millisecond
 * they spend is one the gateway does not get.
 */
export async function startSubgraphs(host: string): Promise<RunningSubgraphs> {
  const endpoints = new Map<string, Endpoint>(
    SUBGRAPHS.map((subgraph) => [
      `/${subgraph.name}`,
      { schema: buildSubgraphSchema({ typeDefs: parse(subgraph.typeDefs), resolvers: subgraph.resolvers }), documents: new Map() },
    ]),
  );

  const server = createServer((req, res) => {
    const endpoint = endpoints.get(req.url ?? '');
    if (req.method === 'GET' && req.url === '/health') return reply(res, 200, '{"status":"ok"}');
    if (!endpoint || req.method !== 'POST') return reply(res, 404, '{"errors":[{"message":"not found"}]}');
    readBody(req)
      .then(async (body) => reply(res, 200, JSON.stringify(await run(endpoint, JSON.parse(body) as GraphQLBody))))
      .catch((error: unknown) => reply(res, 400, JSON.stringify({ errors: [{ message: String(error) }] })));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;

  return {
    urls: Object.fromEntries(SUBGRAPHS.map((subgraph) => [subgraph.name, `http://${host}:${port}/${subgraph.name}`])),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface GraphQLBody {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

async function run(endpoint: Endpoint, body: GraphQLBody) {
  let document = endpoint.documents.get(body.query);
  if (!document) {
    const parsed = parse(body.query);
    const errors = validate(endpoint.schema, parsed);
    document = errors.length ? errors : parsed;
    if (endpoint.documents.size >= MAX_CACHED_DOCUMENTS) endpoint.documents.clear();
    endpoint.documents.set(body.query, document);
  }
  if (isErrors(document)) return { errors: document };
  return execute({ schema: endpoint.schema, document, variableValues: body.variables, operationName: body.operationName });
}

function isErrors(document: DocumentNode | readonly GraphQLError[]): document is readonly GraphQLError[] {
  return Array.isArray(document);
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
