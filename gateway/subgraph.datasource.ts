import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { CachePolicy } from '@apollo/cache-control-types';
import { Kind, parse, type FieldNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Caller } from '../lib/auth/caller.js';
import { GATEWAY_SIGNATURE_HEADER, signGatewayRequest, type GatewayKey } from '../lib/auth/gateway-signature.js';
import type { Logger } from '../lib/logger.js';
import type { GatewayMetrics } from '../lib/metrics.js';
import type { SubgraphFetcher } from './subgraph.fetcher.js';

export interface GatewayContext {
  requestId: string;
  authorization: string | undefined;
  caller: Caller;
}

/**
 * One subgraph as the gateway sees it: pooled keep-alive connections with a
 * deadline (subgraph.fetcher.ts), the caller's request id and credentials forwarded,
 * each request signed so that the subgraph knows it came through the gateway's limits,
 * and failures turned into errors placed on the fields this subgraph would have
 * filled, so that the rest of the answer still arrives.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    readonly name: string,
    url: string,
    fetcher: SubgraphFetcher,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly metrics: GatewayMetrics,
    private readonly signingKey: GatewayKey,
  ) {
    super({ url, fetcher: fetcher as unknown as RemoteGraphQLDataSource['fetcher'] });
    const { pathname, search } = new URL(url);
    this.target = `${pathname}${search}`;
  }

  private readonly target: string;

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): ReturnType<RemoteGraphQLDataSource['process']> {
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    try {
      const response = await this.exchange(options);
      this.metrics.recordSubgraphFetch(this.name, 'ok', elapsed());
      return response;
    } catch (error) {
      const timedOut = isTimeout(error);
      this.metrics.recordSubgraphFetch(this.name, timedOut ? 'timeout' : 'error', elapsed());
      const code = timedOut ? 'SUBGRAPH.TIMEOUT' : 'SUBGRAPH.UNAVAILABLE';
      const message = timedOut
        ? `subgraph "${this.name}" did not answer within ${this.timeoutMs} ms`
        : `subgraph "${this.name}" is unavailable`;
      this.logger.warn({ subgraph: this.name, code, err: error, requestId: options.context?.requestId }, 'subgraph fetch failed');
      return { errors: fieldPaths(options.request).map((path) => ({ message, path, extensions: { code } })) };
    }
  }

  /**
   * Apollo's RemoteGraphQLDataSource.process as tongban uses it (no APQ to subgraphs,
   * no response hooks), with the caller's request id and credentials added, and
   * without the node-fetch Headers and Request it builds around every fetch only to
   * turn them back into a plain init for the fetcher.
   */
  private async exchange(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphAnswer> {
    const { request, context } = options;
    if (!request.query) throw new Error('Missing query');
    const headers: Record<string, string> = {};
    for (const [name, value] of request.http?.headers ?? []) headers[name] = value;
    headers['content-type'] = 'application/json';
    if (context?.requestId) headers['x-request-id'] = context.requestId;
    if (context?.authorization) headers.authorization = context.authorization;
    const { http: _http, query, ...rest } = request;
    const body = JSON.stringify({ query, ...rest });
    headers[GATEWAY_SIGNATURE_HEADER] = signGatewayRequest(this.signingKey, { method: 'POST', target: this.target, body, authorization: context?.authorization });
    const response = await this.fetcher(this.url, { method: 'POST', headers, body });
    if (!response.ok) throw await this.errorFromResponse(response);
    const answer = await this.parseBody(response);
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) throw new Error(`Expected JSON response body, but received: ${answer}`);
    // Only a caller's operation has a policy to bound; health checks and schema loads have none.
    if ('incomingRequestContext' in options && this.honorSubgraphCacheControlHeader) {
      restrictCachePolicy(options.incomingRequestContext.overallCachePolicy, response.headers.get('cache-control'));
    }
    return { ...answer, http: response } as SubgraphAnswer;
  }
}

/** A subgraph's Cache-Control bounds the caller's answer's, as Apollo's RemoteGraphQLDataSource bounds it. */
export function restrictCachePolicy(policy: CachePolicy | undefined, header: string | null): void {
  if (!policy || !('restrict' in policy)) return;
  const directives = new Map<string, string | true>();
  for (const part of header ? header.trim().split(/\s*,\s*/) : []) {
    const [name, value] = part.split(/\s*=\s*/, 2) as [string, string | undefined];
    directives.set(name, value === undefined ? true : value.replace(/^"|"$/g, ''));
  }
  const maxAge = directives.get('max-age');
  policy.restrict({
    maxAge: typeof maxAge === 'string' && /^[0-9]+$/.test(maxAge) ? Number(maxAge) : 0,
    ...(directives.get('private') === true ? { scope: 'PRIVATE' as const } : {}),
    ...(directives.get('public') === true ? { scope: 'PUBLIC' as const } : {}),
  });
}

type SubgraphAnswer = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

function isTimeout(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
  }
  return false;
}

/**
 * The paths, in the subgraph's response, of the fields this fetch was to provide:
 * for an `_entities` fetch, each field selected on each entity (the gateway maps
 * them back onto the caller's query), else the root fields.
 */
function fieldPaths(request: GraphQLDataSourceProcessOptions['request']): (string | number)[][] {
  let operation: OperationDefinitionNode | undefined;
  try {
    operation = parse(request.query ?? '').definitions.find(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
  } catch {
    return [[]];
  }
  const rootFields = fieldNames(operation?.selectionSet);
  const representations = request.variables?.representations;
  if (!Array.isArray(representations)) return rootFields.map((name) => [name]);

  const entities = operation?.selectionSet.selections.find(
    (s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === '_entities',
  );
  const fieldsByType = new Map<string, string[]>();
  for (const selection of entities?.selectionSet?.selections ?? []) {
    if (selection.kind === Kind.INLINE_FRAGMENT && selection.typeCondition) {
      fieldsByType.set(selection.typeCondition.name.value, fieldNames(selection.selectionSet));
    }
  }
  return representations.flatMap((representation: { __typename?: string }, index) => {
    const fields = fieldsByType.get(representation.__typename ?? '') ?? [];
    return fields.length ? fields.map((field) => ['_entities', index, field]) : [['_entities', index]];
  });
}

function fieldNames(selectionSet: SelectionSetNode | undefined): string[] {
  return (selectionSet?.selections ?? []).flatMap((selection) =>
    selection.kind === Kind.FIELD && selection.name.value !== '__typename' ? [selection.alias?.value ?? selection.name.value] : [],
  );
}
