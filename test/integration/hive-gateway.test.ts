import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime, type GatewayPlugin, type GatewayRuntime } from '@graphql-hive/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_NOW, seedDashboard } from '../../bench/dashboard/dashboard.data.js';
import { DASHBOARD_QUERY } from '../../bench/dashboard/dashboard.query.js';
import { hiveGatewayConfig } from '../../deploy/hive-gateway.config.js';
import type { Caller } from '../../lib/auth/caller.js';
import { GATEWAY_SIGNATURE_HEADER } from '../../lib/auth/gateway-signature.js';
import { loadConfig, SUBGRAPH_NAMES } from '../../lib/config.js';
import { staffAt, startTestStack, type GraphQLResult, type TestStack } from '../support/stack.js';

/**
 * The proof that nothing in supergraph.graphql is tied to tongban's gateway: Hive
 * Gateway, configured by deploy/hive-gateway.config.ts from the same settings,
 * serves the same supergraph over the same running subgraphs, and every
 * cross-subgraph query of the integration suite gets the same data, and the same
 * errors at the same paths, from both engines.
 */
const WINDOW = 'W-500101-01';

const CASE_QUERY = /* GraphQL */ `
  query Case($no: ID!, $code: ID!) {
    case(businessNo: $no) {
      businessNo
      scope
      stage
      applicant { kind name idNumber }
      contact { phone }
      item { __typename code name department promisedLimitDays }
      receivingWindow { name region hall address hours { day ranges } }
      jurisdictionWindow { id name }
      shipments { waybillNo purpose state events { state place } }
      platformRecord { __typename id stage }
      clock { status paused limitDays consumedWorkingDays remainingWorkingDays }
      deadlines { kind status }
      timeline { type actor }
      materialsWithoutScan
      scans { material type pages size }
    }
    serviceItem(code: $code) { __typename code name department }
  }
`;

const CATALOG_QUERY = /* GraphQL */ `
  query Catalog($search: String, $after: String) {
    serviceItems(search: $search, first: 5, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { __typename code name department promisedLimitDays } }
    }
    windows(region: SICHUAN) { id name region divisionCode }
  }
`;

const SHIPMENT_QUERY = /* GraphQL */ `
  query Shipment($waybill: ID!) {
    shipment(waybillNo: $waybill) { waybillNo businessNo purpose state contents events { seq state place } }
  }
`;

describe('Hive Gateway on the same supergraph and subgraphs', () => {
  let stack: TestStack;
  let hive: { url: string; runtime: GatewayRuntime; server: Server };
  let businessNos: string[];
  let waybills: string[];
  const staff: Caller = staffAt(WINDOW);

  const post = async (url: string, body: unknown, headers: Record<string, string>) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResult };
  };
  /** The same request to both engines. */
  const both = async (query: string, variables: Record<string, unknown>, caller: Caller | null = staff, headers: Record<string, string> = {}) => {
    const auth: Record<string, string> = caller ? { authorization: `Bearer ${await stack.token(caller)}` } : {};
    const [tongban, other] = await Promise.all([
      post(`${stack.gateway.url}/graphql`, { query, variables }, { ...auth, ...headers }),
      post(hive.url, { query, variables }, { ...auth, ...headers }),
    ]);
    return { tongban, hive: other };
  };
  /** What a client branches on: where each error is and its code; messages may be worded by the engine. */
  const errorsOf = (result: GraphQLResult) =>
    (result.errors ?? []).map((error) => ({ path: error.path ?? null, code: error.extensions?.code ?? null })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

  /** Hive Gateway as deployed: the settings a deployment sets, the subgraphs where this stack runs them. */
  const hiveSettings = () =>
    loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      SUPERGRAPH: 'supergraph.graphql',
      SUBGRAPH_TIMEOUT_MS: '5000',
      ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, `${stack.subgraphs[name].url}/graphql`])),
    });

  beforeAll(async () => {
    stack = await startTestStack({ now: () => DASHBOARD_NOW });
    const seeded = await seedDashboard(stack, WINDOW, 8);
    businessNos = seeded.map((kase) => kase.businessNo);
    waybills = seeded.flatMap((kase) => kase.shipments?.map((shipment) => shipment.waybillNo) ?? []);

    const config = hiveSettings();
    expect(config.gatewayKeys).toEqual(stack.config.gatewayKeys);
    expect(config.auth).toEqual(stack.config.auth);
    const runtime = createGatewayRuntime(hiveGatewayConfig(config));
    const server = createServer(runtime);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hive = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, runtime, server };
  }, 120_000);

  afterAll(async () => {
    if (hive) {
      hive.server.closeAllConnections();
      await new Promise((resolve) => hive.server.close(resolve));
      await hive.runtime.dispose();
    }
    await stack?.close();
  });

  it('answers the window dashboard (cases, items of both regions, both windows, shipments, clocks) identically', async () => {
    const { tongban, hive: other } = await both(DASHBOARD_QUERY, { first: 50 });
    expect(tongban.body.errors).toBeUndefined();
    const cases = (tongban.body.data as { cases: { totalCount: number; edges: { node: { item: { __typename: string } | null; shipments: unknown[] | null } }[] } }).cases;
    expect(cases.totalCount).toBe(8);
    expect(new Set(cases.edges.map((edge) => edge.node.item?.__typename))).toEqual(new Set(['ChongqingServiceItem', 'SichuanServiceItem']));
    expect(cases.edges.some((edge) => (edge.node.shipments?.length ?? 0) > 0)).toBe(true);
    expect(other.status).toBe(200);
    expect(other.body).toEqual(tongban.body);
  });

  it('answers each case with every subgraph in it (platform record, deadlines, timeline, scans) identically', async () => {
    const platformRecords = new Set<string>();
    for (const no of businessNos) {
      const { tongban, hive: other } = await both(CASE_QUERY, { no, code: '500000-00001' });
      expect(tongban.body.errors).toBeUndefined();
      const kase = (tongban.body.data as { case: { businessNo: string; receivingWindow: { name: string }; platformRecord: { __typename: string } | null } }).case;
      expect(kase.businessNo).toBe(no);
      expect(kase.receivingWindow.name).toBeTruthy();
      if (kase.platformRecord) platformRecords.add(kase.platformRecord.__typename);
      expect(other.body).toEqual(tongban.body);
    }
    expect(platformRecords).toEqual(new Set(['ChongqingPlatformCase', 'SichuanPlatformCase']));
  });

  it('pages the catalog of both regions and lists windows identically', async () => {
    let after: string | null = null;
    let pages = 0;
    do {
      const { tongban, hive: other } = await both(CATALOG_QUERY, { search: '资质', after });
      expect(tongban.body.errors).toBeUndefined();
      expect(other.body).toEqual(tongban.body);
      const connection = (tongban.body.data as { serviceItems: { pageInfo: { hasNextPage: boolean; endCursor: string } } }).serviceItems;
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBeGreaterThan(1);
  });

  it('shows a shipment to those who handle its case, and nothing to a window that does not', async () => {
    expect(waybills.length).toBeGreaterThan(0);
    for (const waybill of waybills) {
      const { tongban, hive: other } = await both(SHIPMENT_QUERY, { waybill });
      expect((tongban.body.data as { shipment: { waybillNo: string } | null }).shipment?.waybillNo).toBe(waybill);
      expect(other.body).toEqual(tongban.body);
      const outsider = await both(SHIPMENT_QUERY, { waybill }, staffAt('W-510100-01'));
      expect(outsider.tongban.body.data).toEqual({ shipment: null });
      expect(outsider.hive.body.data).toEqual(outsider.tongban.body.data);
      expect(errorsOf(outsider.hive.body)).toEqual(errorsOf(outsider.tongban.body));
    }
  });

  it('gives the same errors at the same paths: a malformed code, an unknown case, a case of another window', async () => {
    const malformed = await both('{ serviceItem(code: "abc") { code } }', {});
    expect(errorsOf(malformed.tongban.body)).toEqual([{ path: ['serviceItem'], code: 'INPUT.INVALID_ITEM_CODE' }]);
    expect(errorsOf(malformed.hive.body)).toEqual(errorsOf(malformed.tongban.body));
    expect(malformed.hive.body.data).toEqual(malformed.tongban.body.data);

    const unknown = await both(CASE_QUERY, { no: 'TB2025112499999999999', code: '500000-99999' });
    expect(unknown.tongban.body).toEqual({ data: { case: null, serviceItem: null } });
    expect(unknown.hive.body).toEqual(unknown.tongban.body);

    const foreign = await both(CASE_QUERY, { no: businessNos[0], code: '500000-00001' }, staffAt('W-510100-01'));
    expect(errorsOf(foreign.tongban.body).map((error) => error.code)).toContain('AUTH.FORBIDDEN');
    expect(foreign.hive.body.data).toEqual(foreign.tongban.body.data);
    expect(errorsOf(foreign.hive.body)).toEqual(errorsOf(foreign.tongban.body));
  });

  it('passes the caller on: no token reads nothing, a forged one neither, and the request id comes back', async () => {
    const anonymous = await both(CASE_QUERY, { no: businessNos[0], code: '500000-00001' }, null);
    expect(anonymous.tongban.status).toBe(401);
    expect(errorsOf(anonymous.tongban.body).map((error) => error.code)).toEqual(['AUTH.UNAUTHENTICATED']);
    // Hive checks no token itself: each subgraph does, so every field is refused there and nothing is read.
    expect(anonymous.hive.body.data ?? { case: null, serviceItem: null }).toEqual({ case: null, serviceItem: null });
    expect(new Set(errorsOf(anonymous.hive.body).map((error) => error.code))).toEqual(new Set(['AUTH.UNAUTHENTICATED']));

    const forged = `${(await stack.token(staff)).slice(0, -4)}AAAA`;
    const forgedAnswer = await post(hive.url, { query: CASE_QUERY, variables: { no: businessNos[0], code: '500000-00001' } }, { authorization: `Bearer ${forged}` });
    expect(forgedAnswer.body.data ?? { case: null, serviceItem: null }).toEqual({ case: null, serviceItem: null });

    const traced = await both(DASHBOARD_QUERY, { first: 1 }, staff, { 'x-request-id': 'hive-trace-0001' });
    expect(traced.hive.headers.get('x-request-id')).toBe('hive-trace-0001');
    expect(traced.hive.body).toEqual(traced.tongban.body);
  });

  it('sends every subgraph the caller\'s token, the request id and a signature over what it sends', async () => {
    const deployed = hiveGatewayConfig(hiveSettings());
    const sent: { url: string; headers: Record<string, string> }[] = [];
    // Appended after the deployed plugins, so it sees each subgraph request as it leaves.
    const recorder: GatewayPlugin = {
      onFetch: ({ url, options, executionRequest }) => {
        if (executionRequest) sent.push({ url, headers: Object.fromEntries(new Headers(options.headers as Record<string, string>)) });
      },
    };
    const runtime = createGatewayRuntime({ ...deployed, plugins: (context) => [...deployed.plugins!(context), recorder] });
    try {
      const token = await stack.token(staff);
      const response = await runtime.fetch('http://hive/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': 'hive-trace-0002' },
        body: JSON.stringify({ query: DASHBOARD_QUERY, variables: { first: 3 } }),
      });
      expect(((await response.json()) as GraphQLResult).errors).toBeUndefined();
      expect(new Set(sent.map((request) => new URL(request.url).port))).toEqual(
        new Set(SUBGRAPH_NAMES.map((name) => new URL(stack.subgraphs[name].url).port)),
      );
      for (const request of sent) {
        expect(request.headers.authorization).toBe(`Bearer ${token}`);
        expect(request.headers['x-request-id']).toBe('hive-trace-0002');
        expect(request.headers[GATEWAY_SIGNATURE_HEADER]).toMatch(/^v1;kid=dev;ts=\d+;sig=/);
      }
    } finally {
      await runtime.dispose();
    }
  });

  it('is refused by a subgraph when it does not sign: the signature is what lets Hive in, not the supergraph', async () => {
    const unsigned = createGatewayRuntime({ ...hiveGatewayConfig(hiveSettings()), plugins: () => [] });
    try {
      const response = await unsigned.fetch('http://hive/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.token(staff)}` },
        body: JSON.stringify({ query: '{ windows(region: SICHUAN) { id } }' }),
      });
      const body = (await response.json()) as GraphQLResult;
      expect(body.data?.windows ?? null).toBeNull();
      expect(body.errors?.length).toBeGreaterThan(0);
    } finally {
      await unsigned.dispose();
    }
  });
});
