import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CALLER, staffAt, startTestStack, type TestStack } from '../support/stack.js';

describe('in-flight deduplication at the gateway', () => {
  let stack: TestStack;

  beforeAll(async () => {
    // Platform calls are how these tests see executions, so the catalog cache must not absorb them.
    stack = await startTestStack({ env: { CATALOG_CACHE_MAX_AGE_MS: '0' } });
    // Slow platform answers keep the first request in flight while the others arrive.
    stack.yukuaiban.setFaults({ latencyMs: 300 });
  });

  afterAll(async () => {
    await stack?.close();
  });

  const calls = () => Object.values(stack.yukuaiban.requestCounts()).reduce((sum, n) => sum + n, 0);
  const QUERY = '{ serviceItem(code: "500000-00016") { name department } }';

  it('runs identical concurrent queries of one caller once, and answers each of them', async () => {
    stack.yukuaiban.resetCounts();
    const results = await Promise.all(Array.from({ length: 8 }, () => stack.query(QUERY)));
    for (const result of results) expect(result).toEqual(results[0]);
    expect(results[0]!.data).toMatchObject({ serviceItem: { name: '律师事务所分所设立许可' } });
    // One search-free lookup from the cases subgraph, one entity fetch from chongqing: two platform calls in all.
    expect(calls()).toBe(2);
  });

  it('never shares an answer between callers, and never shares mutations', async () => {
    stack.yukuaiban.resetCounts();
    const other = stack.as(staffAt('W-510000-01'));
    await Promise.all([stack.query(QUERY), other.query(QUERY)]);
    expect(calls()).toBe(4);

    const mutation = 'mutation ($no: ID!) { notifyApplicantForPickup(businessNo: $no) { stage } }';
    const refusals = await Promise.all([stack.query(mutation, { no: 'TB-X' }), stack.query(mutation, { no: 'TB-Y' })]);
    expect(refusals.map((r) => r.errors?.[0]?.extensions?.code)).toEqual(['CASE.NOT_FOUND', 'CASE.NOT_FOUND']);
  });

  it('shares a persisted query sent by hash alone once the gateway knows its document', async () => {
    const url = `${stack.gateway.url}/graphql`;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${await stack.token(DEFAULT_CALLER)}` };
    const extensions = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(QUERY).digest('hex') } };
    const send = (body: unknown) => fetch(url, { method: 'POST', headers, body: JSON.stringify(body) }).then((response) => response.json());
    await send({ query: QUERY, extensions });

    stack.yukuaiban.resetCounts();
    const results = await Promise.all(Array.from({ length: 8 }, () => send({ extensions })));
    for (const result of results) expect(result).toEqual({ data: { serviceItem: { name: '律师事务所分所设立许可', department: expect.any(String) } } });
    expect(calls()).toBe(2);
  });

  it('does not share across different variables', async () => {
    stack.yukuaiban.resetCounts();
    const byCode = 'query ($code: ID!) { serviceItem(code: $code) { name } }';
    const [a, b] = await Promise.all([stack.query(byCode, { code: '500000-00016' }), stack.query(byCode, { code: '500000-00017' })]);
    expect(a.data).not.toEqual(b.data);
    expect(calls()).toBe(4);
  });
});
