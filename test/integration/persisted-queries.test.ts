import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../gateway/gateway.server.js';
import { DEFAULT_CALLER, startTestStack, type TestStack } from '../support/stack.js';

const QUERY = '{ windows(region: SICHUAN) { id name } }';
const HASH = createHash('sha256').update(QUERY).digest('hex');
const persisted = (sha256Hash: string) => ({ persistedQuery: { version: 1, sha256Hash } });

describe('automatic persisted queries in Redis and the query plan cache', () => {
  let stack: TestStack;
  let replica: RunningGateway;
  let authorization: string;

  beforeAll(async () => {
    stack = await startTestStack();
    replica = await startGateway({ ...stack.gatewayOptions, subgraphUrls: stack.gateway.subgraphs, subgraphTimeoutMs: 5000 });
    authorization = `Bearer ${await stack.token(DEFAULT_CALLER)}`;
  });

  afterAll(async () => {
    await replica?.close();
    await stack?.close();
  });

  const post = async (gateway: RunningGateway, body: unknown) => {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify(body),
    });
    return (await response.json()) as { data?: { windows: { id: string }[] }; errors?: { message: string; extensions?: { code?: string } }[] };
  };

  const planLookups = async (gateway: RunningGateway) => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const count = (result: string) => Number(text.match(new RegExp(`^tongban_query_plan_cache_lookups_total\\{result="${result}"\\} (\\d+)`, 'm'))?.[1] ?? 0);
    return { hit: count('hit'), miss: count('miss') };
  };

  it('registers a document once and then serves it by hash from any replica', async () => {
    const unknown = await post(stack.gateway, { extensions: persisted(HASH) });
    expect(unknown.errors?.map((error) => error.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(await stack.redis.exists(`apq:${HASH}`)).toBe(0);

    const registered = await post(stack.gateway, { query: QUERY, extensions: persisted(HASH) });
    expect(registered.errors).toBeUndefined();
    expect(registered.data!.windows.length).toBeGreaterThan(0);
    expect(await stack.redis.get(`apq:${HASH}`)).toBe(QUERY);
    expect(await stack.redis.ttl(`apq:${HASH}`)).toBeGreaterThan(23 * 3600);

    expect(await post(stack.gateway, { extensions: persisted(HASH) })).toEqual(registered);
    // The replica never saw the document: it finds it in Redis.
    expect(await post(replica, { extensions: persisted(HASH) })).toEqual(registered);
  });

  it('serves a persisted query by GET, so that it can be cached on the way', async () => {
    const params = new URLSearchParams({ extensions: JSON.stringify(persisted(HASH)) });
    const response = await fetch(`${replica.url}/graphql?${params}`, { headers: { authorization, 'apollo-require-preflight': 'true' } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: { windows: unknown[] } }).data.windows.length).toBeGreaterThan(0);
  });

  it('refuses a document whose hash does not match, and stores nothing', async () => {
    const other = createHash('sha256').update('{ windows { id } }').digest('hex');
    const mismatch = await post(stack.gateway, { query: QUERY, extensions: persisted(other) });
    expect(mismatch.errors?.map((error) => error.extensions?.code)).toEqual(['PERSISTED_QUERY_HASH_MISMATCH']);
    expect(await stack.redis.exists(`apq:${other}`)).toBe(0);
  });

  it('plans an operation once, and counts hits and misses', async () => {
    const query = '{ windows(region: CHONGQING) { id } }';
    const before = await planLookups(stack.gateway);
    await post(stack.gateway, { query });
    await post(stack.gateway, { query });
    await post(stack.gateway, { query });
    const after = await planLookups(stack.gateway);
    expect([after.miss - before.miss, after.hit - before.hit]).toEqual([1, 2]);
  });

  it('keeps no more plans than its bound allows', async () => {
    const tiny = await startGateway({ ...stack.gatewayOptions, subgraphUrls: stack.gateway.subgraphs, subgraphTimeoutMs: 5000, queryPlanCacheMiB: 0.0001 });
    try {
      const query = '{ windows(region: CHONGQING) { id name } }';
      await post(tiny, { query });
      await post(tiny, { query });
      expect(await planLookups(tiny)).toEqual({ hit: 0, miss: 2 });
    } finally {
      await tiny.close();
    }
  });
});
