import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogItem, PlatformPort } from '../../adapters/platform.port.js';
import { YukuaibanClient } from '../../adapters/yukuaiban/yukuaiban.client.js';
import { YUKUAIBAN_CATALOG } from '../../adapters/yukuaiban/yukuaiban.catalog.js';
import { startYukuaibanSandbox, type YukuaibanSandbox } from '../../adapters/yukuaiban/yukuaiban.sandbox.js';
import type { Caller } from '../../lib/auth/caller.js';
import { createRedis, deleteKeysWithPrefix } from '../../lib/redis.js';
import { CatalogCache } from '../../subgraphs/platform/catalog.cache.js';
import { invalidateCatalog } from '../../ledger/catalog/catalog-generation.js';
import { application, OFFICE_HOURS, ROUTES } from '../support/process.kit.js';
import { until } from '../support/until.kit.js';
import { DEFAULT_CALLER, startTestStack, testPrefix, testRedisUrl, type TestStack } from '../support/stack.js';

const OPS: Caller = { subject: 'ops-1', role: 'OPS', region: 'CHONGQING', windowId: null };
const JURISDICTION: Caller = { subject: 'jur-cq', role: 'JURISDICTION_STAFF', region: 'CHONGQING', windowId: 'W-500000-01' };
const ITEM = YUKUAIBAN_CATALOG.find((item) => item.scopes.includes('CROSS_DISTRICT'))!;
const itemCalls = (sandbox: YukuaibanSandbox) => sandbox.requestCounts()['POST /api/v1/items/batch'] ?? 0;

describe('catalog items served from the subgraphs’ memory, through the gateway', () => {
  let stack: TestStack;
  const now = new Date('2025-11-24T10:00:00+08:00');
  const ITEM_QUERY = `{ cases(first: 10) { edges { node { item { code name department } } } } serviceItem(code: "${ITEM.code}") { name } }`;

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now });
    await stack.workflow.receiveApplication(application(ITEM, 'W-500000-01', '缓存'), 'test');
  });

  afterAll(async () => {
    await stack?.close();
  });

  const names = async (caller: Caller) => {
    const result = await stack.as(caller).query<{ cases: { edges: { node: { item: { name: string } } }[] }; serviceItem: { name: string } }>(ITEM_QUERY);
    expect(result.errors).toBeUndefined();
    return [...result.data!.cases.edges.map((edge) => edge.node.item.name), result.data!.serviceItem.name];
  };

  it('asks the platform once, then serves every caller from memory until ops invalidate it', async () => {
    stack.yukuaiban.resetCounts();
    expect(await names(DEFAULT_CALLER)).toEqual([ITEM.name, ITEM.name]);
    // Once for the chongqing subgraph's entities, once for the cases subgraph's serviceItem.
    expect(itemCalls(stack.yukuaiban)).toBe(2);

    expect(await names(JURISDICTION)).toEqual([ITEM.name, ITEM.name]);
    expect(await names(DEFAULT_CALLER)).toEqual([ITEM.name, ITEM.name]);
    expect(itemCalls(stack.yukuaiban)).toBe(2);

    const revised = `${ITEM.name}（2025年修订）`;
    stack.yukuaiban.publishItem({ ...ITEM, name: revised });
    expect(await names(DEFAULT_CALLER)).toEqual([ITEM.name, ITEM.name]);

    const denied = await stack.as(DEFAULT_CALLER).query('mutation { invalidateCatalog(region: CHONGQING) }');
    expect(denied.errors?.map((error) => error.extensions?.code)).toEqual(['AUTH.FORBIDDEN']);
    expect(await names(DEFAULT_CALLER)).toEqual([ITEM.name, ITEM.name]);

    const invalidated = await stack.as(OPS).query<{ invalidateCatalog: number }>('mutation { invalidateCatalog(region: CHONGQING) }');
    expect(invalidated.errors).toBeUndefined();
    expect(invalidated.data!.invalidateCatalog).toBeGreaterThan(0);
    expect(await names(JURISDICTION)).toEqual([revised, revised]);
    expect(itemCalls(stack.yukuaiban)).toBe(4);
    expect(await names(DEFAULT_CALLER)).toEqual([revised, revised]);
    expect(itemCalls(stack.yukuaiban)).toBe(4);
  });

  it('checks a receipt against the platform’s catalog as it is, not the copy', async () => {
    stack.yukuaiban.publishItem({ ...ITEM, materials: [...ITEM.materials, { name: '2025年新增材料', form: 'ORIGINAL', copies: 1, required: true }] });
    const result = await stack.workflow.receiveApplication(application(ITEM, 'W-500000-01', '修订后'), 'test');
    expect(result.record.notices.find((notice) => notice.id === result.noticeId)?.kind).toBe('DEFICIENCY');
  });
});

describe('a platform slow to answer for items a subgraph does not hold', () => {
  let stack: TestStack;
  const SICHUAN = ROUTES.find((route) => route.region === 'SICHUAN')!;
  const QUERY = '{ cases(first: 10) { edges { node { businessNo item { code name } } } } }';
  type Answer = { cases: { edges: { node: { businessNo: string; item: { code: string; name: string | null } } }[] } };

  beforeAll(async () => {
    stack = await startTestStack({ now: () => OFFICE_HOURS });
    await stack.workflow.receiveApplication(application(SICHUAN.item, SICHUAN.windowId, '慢平台'), 'test');
    await stack.workflow.receiveApplication(application(ITEM, SICHUAN.windowId, '慢平台'), 'test');
  });

  afterAll(async () => {
    await stack?.close();
  });

  const timed = async () => {
    const startedAt = performance.now();
    const result = await stack.as(DEFAULT_CALLER).query<Answer>(QUERY);
    return { result, tookMs: performance.now() - startedAt, name: (code: string) => result.data?.cases.edges.find((edge) => edge.node.item.code === code)?.node.item.name };
  };

  it('answers within CATALOG_MISS_WAIT_MS with those items null and the error at their path, the rest whole, and keeps what the platform brings', async () => {
    stack.sichuan.setFaults({ latencyMs: 2500 });
    try {
      const first = await timed();
      expect(first.tookMs).toBeLessThan(2000);
      expect(first.name(ITEM.code)).toBe(ITEM.name);
      expect(first.name(SICHUAN.item.code)).toBeNull();
      const errors = first.result.errors ?? [];
      expect(errors.map((error) => error.extensions?.code)).toContain('PLATFORM.SICHUAN_UNAVAILABLE');
      expect(errors.every((error) => error.path?.includes('item'))).toBe(true);
      // The fetch went on: once the platform has answered, the item is served from memory, still slow or not.
      await until('the late answer kept', async () => (await timed()).name(SICHUAN.item.code) === SICHUAN.item.name, 10_000, 200);
      const later = await timed();
      expect(later.result.errors).toBeUndefined();
      expect(later.tookMs).toBeLessThan(2000);
    } finally {
      stack.sichuan.setFaults({});
    }
  });
});

describe('CatalogCache over Redis and the 渝快办 sandbox', () => {
  const redisUrl = testRedisUrl();
  const prefix = testPrefix();
  const redis = createRedis(redisUrl, prefix);
  let sandbox: YukuaibanSandbox;
  let client: PlatformPort;
  let clock = 0;
  const [first, second] = YUKUAIBAN_CATALOG;

  beforeAll(async () => {
    sandbox = await startYukuaibanSandbox({ appKey: 'k', appSecret: 'catalog-cache-secret-0123' });
    client = new YukuaibanClient({ baseUrl: sandbox.url, appKey: 'k', appSecret: 'catalog-cache-secret-0123', timeoutMs: 2000 });
  });

  afterEach(() => {
    sandbox.resetCounts();
    for (const item of [first!, second!]) sandbox.publishItem(item);
  });

  afterAll(async () => {
    await sandbox?.close();
    redis.disconnect();
    await deleteKeysWithPrefix(redisUrl, prefix);
  });

  const cache = (port: PlatformPort = client, maxAgeMs = 60_000) => new CatalogCache(redis, port, { maxAgeMs, now: () => clock });
  const rename = (item: CatalogItem, name: string) => sandbox.publishItem({ ...item, name });

  it('keeps items, unknown codes included, for their maximum age, then asks again', async () => {
    const catalog = cache();
    const read = async () => (await catalog.reader().getItemsByCodes([first!.code, 'NO-SUCH-ITEM', first!.code])).map((item) => item?.name ?? null);
    expect(await read()).toEqual([first!.name, null, first!.name]);
    rename(first!, '改名后');
    clock += 59_999;
    expect(await read()).toEqual([first!.name, null, first!.name]);
    expect(itemCalls(sandbox)).toBe(1);
    clock += 1;
    // Expired: the old value once more, while the one call it started fetches the new.
    expect(await read()).toEqual([first!.name, null, first!.name]);
    await until('the expired items fetched again', async () => (await read())[0] === '改名后');
    expect(await read()).toEqual(['改名后', null, '改名后']);
    expect(itemCalls(sandbox)).toBe(2);
  });

  it('answers at once with an expired item while a slow platform is asked for it, one call for every request', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const slow: PlatformPort = {
      ...client,
      region: client.region,
      getItemsByCodes: async (codes) => {
        calls += 1;
        // Slow only for the item it already holds.
        if (calls > 1 && codes.includes(first!.code)) await held;
        return client.getItemsByCodes(codes);
      },
    };
    const catalog = cache(slow);
    await catalog.reader().getItemsByCodes([first!.code]);
    rename(first!, '改名后');
    clock += 60_000;
    // The platform has not answered the refresh; every request is answered from memory meanwhile.
    const answers = await Promise.all([1, 2, 3].map(() => catalog.reader().getItemsByCodes([first!.code, second!.code])));
    expect(answers.map(([item]) => item?.name)).toEqual([first!.name, first!.name, first!.name]);
    // A code it never held is still waited for: there is nothing to serve meanwhile.
    expect(answers.map(([, item]) => item?.code)).toEqual([second!.code, second!.code, second!.code]);
    release();
    await until('the refresh kept', async () => (await catalog.reader().getItemsByCodes([first!.code]))[0]?.name === '改名后');
    expect(calls).toBe(3);
  });

  it('waits for the platform once an item is twice its maximum age, or its catalog was invalidated', async () => {
    const catalog = cache();
    const name = async () => (await catalog.reader().getItemsByCodes([first!.code]))[0]?.name;
    await name();
    rename(first!, '改名后');
    clock += 120_000;
    expect(await name()).toBe('改名后');
    rename(first!, '再改名');
    clock += 60_000;
    await invalidateCatalog(redis, client.region);
    expect(await name()).toBe('再改名');
    expect(itemCalls(sandbox)).toBe(3);
  });

  it('fetches only the codes it does not hold', async () => {
    const catalog = cache();
    await catalog.reader().getItemsByCodes([first!.code]);
    const both = await catalog.reader().getItemsByCodes([second!.code, first!.code]);
    expect(both.map((item) => item?.code)).toEqual([second!.code, first!.code]);
    expect(itemCalls(sandbox)).toBe(2);
    await catalog.reader().getItemsByCodes([second!.code, first!.code]);
    expect(itemCalls(sandbox)).toBe(2);
  });

  it('lets concurrent requests missing the same item share one platform call', async () => {
    const catalog = cache();
    const answers = await Promise.all([1, 2, 3].map(() => catalog.reader().getItemsByCodes([first!.code])));
    expect(answers.map(([item]) => item?.code)).toEqual([first!.code, first!.code, first!.code]);
    expect(itemCalls(sandbox)).toBe(1);
  });

  it('keeps nothing fetched while an invalidation happened', async () => {
    const invalidatingMidFetch: PlatformPort = {
      ...client,
      region: client.region,
      getItemsByCodes: async (codes) => {
        const answer = await client.getItemsByCodes(codes);
        rename(first!, '改名后');
        await invalidateCatalog(redis, client.region);
        return answer;
      },
    };
    const catalog = cache(invalidatingMidFetch);
    expect((await catalog.reader().getItemsByCodes([first!.code]))[0]?.name).toBe(first!.name);
    const plain = new CatalogCache(redis, client, { maxAgeMs: 60_000, now: () => clock });
    expect((await plain.reader().getItemsByCodes([first!.code]))[0]?.name).toBe('改名后');
    // The first cache holds nothing from the fetch that raced the invalidation: its next request asks again.
    sandbox.resetCounts();
    expect((await catalog.reader().getItemsByCodes([first!.code]))[0]?.name).toBe('改名后');
    expect(itemCalls(sandbox)).toBe(1);
  });

  it('caches search pages under the same rules', async () => {
    const catalog = cache();
    const search = () => catalog.reader().searchItems({ search: first!.name.slice(0, 4), offset: 0, limit: 5 });
    const page = await search();
    expect(page.items.map((item) => item.code)).toContain(first!.code);
    await search();
    expect(sandbox.requestCounts()['GET /api/v1/items']).toBe(1);
    await invalidateCatalog(redis, 'CHONGQING');
    await search();
    expect(sandbox.requestCounts()['GET /api/v1/items']).toBe(2);
  });

  it('reads straight from the platform when turned off or when Redis cannot answer', async () => {
    const off = cache(client, 0);
    await off.reader().getItemsByCodes([first!.code]);
    await off.reader().getItemsByCodes([first!.code]);
    expect(itemCalls(sandbox)).toBe(2);

    const broken = createRedis(redisUrl, prefix, { maxRetriesPerRequest: 0, lazyConnect: true, enableOfflineQueue: false });
    const unreachable = new CatalogCache(broken, client, { maxAgeMs: 60_000, now: () => clock });
    expect((await unreachable.reader().getItemsByCodes([first!.code]))[0]?.name).toBe(first!.name);
    expect((await unreachable.reader().getItemsByCodes([first!.code]))[0]?.name).toBe(first!.name);
    expect(itemCalls(sandbox)).toBe(4);
    broken.disconnect();
  });
});
