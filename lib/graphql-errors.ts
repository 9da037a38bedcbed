import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { DomainError } from '../domain/errors.js';

/** Requests Apollo Server refuses with a message but no code of their own. */
const APOLLO_REFUSALS: Record<string, string> = {
  'provided sha does not match query': 'PERSISTED_QUERY_HASH_MISMATCH',
  'Unsupported persisted query version': 'PERSISTED_QUERY_VERSION_UNSUPPORTED',
};

/**
 * The boundary where the project's errors become GraphQL errors: a DomainError
 * keeps its namespaced code and message; anything unexpected is reported as
 * INTERNAL without its message, so no internals (keys, hosts, data) leak.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof DomainError) {
    return { ...formatted, message: original.message, extensions: { ...formatted.extensions, code: original.code } };
  }
  const refusal = APOLLO_REFUSALS[formatted.message];
  if (refusal) return { message: formatted.message, extensions: { code: refusal } };
  const limit = formatted.extensions?.limit;
  if (typeof limit === 'string') return { ...formatted, extensions: { code: limit } };
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return formatted;
  return { message: 'internal error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL' } };
}

/** Production answers do not guess field names for strangers ("Did you mean …?"): it maps the schema. */
export function hideSuggestions(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const message = formatted.message.replace(/ ?Did you mean .*\?$/, '');
  return message === formatted.message ? formatted : { ...formatted, message };
}
