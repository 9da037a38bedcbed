import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { YUKUAIBAN_CATALOG } from '../../adapters/yukuaiban/yukuaiban.catalog.js';
import type { CatalogItem } from '../../adapters/platform.port.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/** No N+1: what a window's dashboard costs the platforms must not grow with the number of cases on it. */
describe('batching across subgraphs and platforms', () => {
  let stack: TestStack;
  const now = new Date('2025-11-24T10:00:00+08:00');

  const sichuanItems = SICHUAN_CATALOG.filter((item) => item.scopes.includes('SICHUAN_CHONGQING')).slice(0, 25);
  const chongqingItems = YUKUAIBAN_CATALOG.filter((item) => item.scopes.includes('CROSS_DISTRICT')).slice(0, 50 - sichuanItems.length);

  const receive = (item: CatalogItem) =>
    stack.workflow.receiveApplication(
      {
        windowId: 'W-500000-01',
        itemCode: item.code,
        applicant: { kind: 'ORGANISATION', name: '某某有限公司', idNumber: '91350100M000100Y43' },
        contact: { name: '赵工', phone: '13812345678' },
        delivery: { method: 'PICKUP' },
        materials: item.materials.map(({ name, form, copies }) => ({ name, form, copies })),
        handler: '李四',
      },
      'test',
    );

  beforeAll(async () => {
    // The catalog cache would hide the batching this proves; test/integration/catalog-cache.test.ts covers it.
    stack = await startTestStack({ now: () => now, env: { CATALOG_CACHE_MAX_AGE_MS: '0' } });
    for (const item of [...sichuanItems, ...chongqingItems]) await receive(item);
  });

  afterAll(async () => {
    await stack?.close();
  });

  const calls = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);

  it('resolves 50 cases with items of both regions in one catalog call per platform', async () => {
    expect(sichuanItems.length).toBeGreaterThanOrEqual(20);
    expect(sichuanItems.length + chongqingItems.length).toBe(50);
    stack.sichuan.resetCounts();
    stack.yukuaiban.resetCounts();

    const result = await stack.query<{ cases: { edges: { node: { item: { __typename: string; name: string; department: string } } }[] } }>(
      '{ cases(first: 50) { edges { node { businessNo item { __typename name department } receivingWindow { name } jurisdictionWindow { name } clock { status } } } } }',
    );
    expect(result.errors).toBeUndefined();
    const items = result.data!.cases.edges.map((e) => e.node.item);
    expect(items).toHaveLength(50);
    expect(items.filter((i) => i.__typename === 'SichuanServiceItem')).toHaveLength(sichuanItems.length);
    expect(new Set(items.map((i) => i.name))).toEqual(new Set([...sichuanItems, ...chongqingItems].map((i) => i.name)));

    expect(calls(stack.sichuan.requestCounts())).toBe(1);
    expect(calls(stack.yukuaiban.requestCounts())).toBe(1);
  });

  it('costs the platforms the same for 5 cases as for 50', async () => {
    stack.sichuan.resetCounts();
    stack.yukuaiban.resetCounts();
    await stack.query('{ cases(first: 5) { edges { node { item { name } } } } }');
    const few = calls(stack.sichuan.requestCounts()) + calls(stack.yukuaiban.requestCounts());
    stack.sichuan.resetCounts();
    stack.yukuaiban.resetCounts();
    await stack.query('{ cases(first: 50) { edges { node { item { name } } } } }');
    const many = calls(stack.sichuan.requestCounts()) + calls(stack.yukuaiban.requestCounts());
    expect(many).toBe(2);
    expect(few).toBeLessThanOrEqual(many);
  });
});
