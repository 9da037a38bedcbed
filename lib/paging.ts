import { InputError } from '../domain/errors.js';

export const MAX_PAGE_SIZE = 100;

export interface PageRequest {
  offset: number;
  limit: number;
}

/** Cursors are opaque to clients; inside they are offsets into a stable ordering. */
export function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

export function pageRequest(first: number | null | undefined, after: string | null | undefined): PageRequest {
  const limit = first ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new InputError('INPUT.INVALID_PAGE_SIZE', `first must be between 1 and ${MAX_PAGE_SIZE}, got ${limit}`);
  }
  if (after == null) return { offset: 0, limit };
  const match = /^o:(\d{1,9})$/.exec(Buffer.from(after, 'base64url').toString('utf8'));
  if (!match) throw new InputError('INPUT.INVALID_CURSOR', 'after is not a cursor returned by this API');
  return { offset: Number(match[1]) + 1, limit };
}

export function connection<T>(nodes: T[], total: number, page: PageRequest) {
  const edges = nodes.map((node, index) => ({ cursor: encodeCursor(page.offset + index), node }));
  return {
    edges,
    totalCount: total,
    pageInfo: { hasNextPage: page.offset + nodes.length < total, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
