import { GraphQLError } from 'graphql';
import { DomainError } from '../../domain/errors.js';
import { headerValue, type HttpRequestHead } from '../http-server.js';
import type { TokenVerifier } from './access-token.js';
import type { Caller } from './caller.js';

/**
 * The caller of a GraphQL request, or a 401/403 before any resolver runs.
 * Platforms hold tokens only for their webhooks, never for the API.
 */
export async function authenticate(tokens: TokenVerifier, request: HttpRequestHead): Promise<Caller> {
  let caller: Caller;
  try {
    caller = await tokens.verify(headerValue(request.headers.authorization));
  } catch (error) {
    throw asHttpError(error, 401);
  }
  if (caller.role === 'PLATFORM') {
    throw new GraphQLError('无权执行该操作', { extensions: { code: 'AUTH.FORBIDDEN', http: { status: 403 } } });
  }
  return caller;
}

function asHttpError(error: unknown, status: number): GraphQLError {
  if (error instanceof DomainError) {
    return new GraphQLError(error.message, { extensions: { code: error.code, http: { status } } });
  }
  return new GraphQLError('internal error', { extensions: { code: 'INTERNAL', http: { status: 500 } } });
}
