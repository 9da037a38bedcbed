import type { CacheHint, CachePolicy } from '@apollo/cache-control-types';
import { describe, expect, it } from 'vitest';
import { restrictCachePolicy } from '../../gateway/subgraph.datasource.js';

/** A policy that records what it was restricted to. */
function recordingPolicy(): CachePolicy & { hints: CacheHint[] } {
  const hints: CacheHint[] = [];
  return { hints, restrict: (hint: CacheHint) => hints.push(hint), replace: () => undefined, policyIfCacheable: () => null } as CachePolicy & { hints: CacheHint[] };
}

describe("a subgraph's Cache-Control", () => {
  it.each([
    ['max-age=60, public', { maxAge: 60, scope: 'PUBLIC' }],
    ['private, max-age="30"', { maxAge: 30, scope: 'PRIVATE' }],
    ['public,private, max-age = 5', { maxAge: 5, scope: 'PUBLIC' }],
    ['no-store', { maxAge: 0 }],
    ['max-age=soon', { maxAge: 0 }],
    [null, { maxAge: 0 }],
  ])('%s bounds the answer to %o, as Apollo Gateway bounds it', (header, hint) => {
    const policy = recordingPolicy();
    restrictCachePolicy(policy, header);
    expect(policy.hints).toEqual([hint]);
  });

  it('leaves a request without a policy alone', () => {
    expect(() => restrictCachePolicy(undefined, 'max-age=60')).not.toThrow();
  });
});
