import { describe, expect, it } from 'vitest';
import { connection, encodeCursor, pageRequest } from '../../lib/paging.js';

describe('cursor paging', () => {
  it('starts at the beginning and continues after a cursor', () => {
    expect(pageRequest(undefined, undefined)).toEqual({ offset: 0, limit: 20 });
    expect(pageRequest(5, encodeCursor(9))).toEqual({ offset: 10, limit: 5 });
  });

  it('builds edges and page info', () => {
    const page = { offset: 10, limit: 2 };
    const result = connection(['a', 'b'], 13, page);
    expect(result.edges.map((e) => e.node)).toEqual(['a', 'b']);
    expect(result.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor(11) });
    expect(connection(['c'], 13, { offset: 12, limit: 2 }).pageInfo.hasNextPage).toBe(false);
  });

  it('rejects page sizes and cursors it did not issue', () => {
    expect(() => pageRequest(0, undefined)).toThrow(expect.objectContaining({ code: 'INPUT.INVALID_PAGE_SIZE' }));
    expect(() => pageRequest(101, undefined)).toThrow(expect.objectContaining({ code: 'INPUT.INVALID_PAGE_SIZE' }));
    expect(() => pageRequest(10, 'garbage')).toThrow(expect.objectContaining({ code: 'INPUT.INVALID_CURSOR' }));
  });
});
