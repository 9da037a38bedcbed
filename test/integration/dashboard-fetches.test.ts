import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_NOW, seedDashboard } from '../../bench/dashboard/dashboard.data.js';
import { casesByNumber, DASHBOARD_QUERY, type DashboardCase, type DashboardData } from '../../bench/dashboard/dashboard.query.js';
import { fetchesBetween, subgraphFetchCounts } from '../../bench/dashboard/subgraph-fetch.counter.js';
import { computeResponse, type ComputeResponse } from '../../gateway/result-shaping.js';
import type { Caller } from '../../lib/auth/caller.js';
import { staffAt, startTestStack, type TestStack } from '../support/stack.js';

/**
 * No N+1 on a window's dashboard (issue "Performance", item 2): what one request costs
 * in subgraph fetches and in calls to the platforms must be the same for 5 open cases
 * as for 50. Each request comes from a caller of its own, as on the real dashboard,
 * so no deduplication or per-caller reuse can hide a cost that grows with the cases.
 */
describe('the domain dashboard', () => {
  let stack: TestStack;
  const few = { windowId: 'W-500101-01', count: 5, expected: [] as DashboardCase[] };
  const many = { windowId: 'W-500103-01', count: 50, expected: [] as DashboardCase[] };

  beforeAll(async () => {
    // The catalog cache off: items are then read from the platforms on every request, where an N+1 would show.
    stack = await startTestStack({ now: () => DASHBOARD_NOW, env: { CATALOG_CACHE_MAX_AGE_MS: '0' } });
    few.expected = await seedDashboard(stack, few.windowId, few.count);
    many.expected = await seedDashboard(stack, many.windowId, many.count);
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  /** Requests the platforms and the courier received, as their sandboxes count them. */
  function platformCalls(): number {
    return [stack.yukuaiban, stack.sichuan, stack.courier]
      .flatMap((sandbox) => Object.values(sandbox.requestCounts()))
      .reduce((sum, n) => sum + n, 0);
  }

  let callers = 0;
  /** One dashboard request by a member of the window's staff never seen before, and what it cost. */
  async function dashboard(windowId: string, count: number) {
    const caller: Caller = { ...staffAt(windowId), subject: `dashboard-staff-${++callers}` };
    const metricsUrl = `${stack.gateway.url}/metrics`;
    const fetchesBefore = await subgraphFetchCounts(metricsUrl);
    const platformBefore = platformCalls();
    const result = await stack.as(caller).query<DashboardData>(DASHBOARD_QUERY, { first: count });
    const fetches = fetchesBetween(fetchesBefore, await subgraphFetchCounts(metricsUrl));
    return { result, fetches, platformCalls: platformCalls() - platformBefore };
  }

  it('answers every case with its items of both regions, both windows, shipments and clock', async () => {
    for (const { windowId, count, expected } of [few, many]) {
      const { result } = await dashboard(windowId, count);
      expect(result.errors).toBeUndefined();
      expect(result.data!.cases.totalCount).toBe(count);
      expect(casesByNumber(result.data!)).toEqual(new Map(expected.map((kase) => [kase.businessNo, kase])));
    }
    const all = [...few.expected, ...many.expected];
    expect(new Set(all.map((kase) => kase.item!.__typename))).toEqual(new Set(['ChongqingServiceItem', 'SichuanServiceItem']));
    expect(new Set(all.flatMap((kase) => kase.shipments!.map((shipment) => shipment.state)))).toEqual(new Set(['ORDERED', 'COLLECTED']));
    expect(new Set(all.map((kase) => kase.clock!.paused))).toEqual(new Set([true, false]));
  });

  it('costs the same subgraph fetches for 50 cases as for 5, and no more platform calls', async () => {
    const small = await dashboard(few.windowId, few.count);
    const large = await dashboard(many.windowId, many.count);
    expect(small.result.errors).toBeUndefined();
    expect(large.result.errors).toBeUndefined();
    expect(large.result.data!.cases.edges).toHaveLength(many.count);

    // Every subgraph the document touches is fetched, and only with answers (no time-outs or failures).
    expect(Object.keys(small.fetches).sort()).toEqual(['cases ok', 'chongqing ok', 'courier ok', 'sichuan ok', 'windows ok']);
    expect(large.fetches).toEqual(small.fetches);
    // With the catalog cache off every request reads the platforms; none at all would mean this test no longer sees them.
    expect(small.platformCalls).toBeGreaterThan(0);
    expect(large.platformCalls).toBeLessThanOrEqual(small.platformCalls);
  });

  it("shapes the merged answers with tongban's result shaping, not Apollo Gateway's slower original", async () => {
    const gatewayRequire = createRequire(createRequire(import.meta.url).resolve('@apollo/gateway'));
    const shaping = gatewayRequire('@apollo/gateway/dist/resultShaping') as { computeResponse: ComputeResponse };
    expect(shaping.computeResponse).toBe(computeResponse);
    // Installed is not enough: Apollo's executor must still look it up there on every request.
    let calls = 0;
    shaping.computeResponse = (input) => {
      calls++;
      return computeResponse(input);
    };
    try {
      const { result } = await dashboard(few.windowId, few.count);
      expect(result.errors).toBeUndefined();
    } finally {
      shaping.computeResponse = computeResponse;
    }
    expect(calls).toBe(1);
  });
});
