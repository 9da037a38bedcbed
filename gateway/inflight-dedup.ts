import { createHash } from 'node:crypto';
import { Kind, parse, type DocumentNode, type OperationTypeNode } from 'graphql';
import { MAX_TOKENS } from '../lib/graphql-limits.js';
import { headerValue, type HttpRequest } from '../lib/http-server.js';

const MAX_DOCUMENTS = 1_000;
/** Persisted documents kept to recognise a hash-only request: bounded in count and size, so at most 16 MiB. */
const MAX_REMEMBERED_DOCUMENTS = 1_000;
const MAX_REMEMBERED_BYTES = 16 * 1024;

/**
 * Which requests may share one execution: identical queries (never mutations)
 * with the same variables, sent with the same credentials, while the first is
 * still in flight. The credentials are part of the key, so no answer ever
 * reaches a caller it was not computed for. A persisted query sent by hash alone
 * is recognised once this gateway has seen its document (whose hash it checks).
 * It runs after authentication, and what it keeps is keyed by digests, so no
 * caller's query text is held beyond its request.
 */
export function inflightKey(): (request: HttpRequest, body: unknown) => string | undefined {
  const operationTypes = new Map<string, Map<string | null, OperationTypeNode> | null>();
  const documentsByHash = new Map<string, string>();

  const documentOf = (query: unknown, extensions: unknown): string | undefined => {
    const hash = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
    if (typeof query === 'string') {
      if (
        typeof hash === 'string' &&
        query.length <= MAX_REMEMBERED_BYTES &&
        !documentsByHash.has(hash) &&
        createHash('sha256').update(query).digest('hex') === hash
      ) {
        if (documentsByHash.size >= MAX_REMEMBERED_DOCUMENTS) documentsByHash.clear();
        documentsByHash.set(hash, query);
      }
      return query;
    }
    return typeof hash === 'string' ? documentsByHash.get(hash) : undefined;
  };

  const typeOf = (query: string, operationName: string | null): OperationTypeNode | undefined => {
    const digest = createHash('sha256').update(query).digest('base64url');
    let byName = operationTypes.get(digest);
    if (byName === undefined) {
      let document: DocumentNode | null = null;
      try {
        document = parse(query, { maxTokens: MAX_TOKENS, noLocation: true });
      } catch {
        // Unparseable: Apollo Server answers it, undeduplicated.
      }
      byName = document ? new Map() : null;
      for (const definition of document?.definitions ?? []) {
        if (definition.kind === Kind.OPERATION_DEFINITION) byName!.set(definition.name?.value ?? null, definition.operation);
      }
      if (operationTypes.size >= MAX_DOCUMENTS) operationTypes.clear();
      operationTypes.set(digest, byName);
    }
    if (!byName) return undefined;
    if (operationName === null && byName.size === 1) return [...byName.values()][0];
    return byName.get(operationName);
  };

  return (request, body) => {
    if (request.method !== 'POST' || !body || typeof body !== 'object' || Array.isArray(body)) return undefined;
    const { variables, operationName, extensions } = body as { query?: unknown; variables?: unknown; operationName?: unknown; extensions?: unknown };
    const query = documentOf((body as { query?: unknown }).query, extensions);
    if (query === undefined) return undefined;
    const name = typeof operationName === 'string' ? operationName : null;
    if (typeOf(query, name) !== 'query') return undefined;
    return createHash('sha256')
      .update(headerValue(request.headers.authorization) ?? '')
      .update('\0')
      .update(query)
      .update('\0')
      .update(name ?? '')
      .update('\0')
      .update(JSON.stringify(variables ?? null))
      .digest('base64url');
  };
}
