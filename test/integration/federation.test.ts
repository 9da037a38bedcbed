import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { YUKUAIBAN_CATALOG } from '../../adapters/yukuaiban/yukuaiban.catalog.js';
import { formatWireTime, requestCanonical, sm3Sign } from '../../adapters/sichuan/sichuan.signature.js';
import { GATEWAY_SIGNATURE_HEADER } from '../../lib/auth/gateway-signature.js';
import { asGateway } from '../support/subgraph-request.js';
import { startGateway } from '../../gateway/gateway.server.js';
import { bullPrefix, QUEUES } from '../../queues/queues.js';
import { casePartiesOf } from '../../lib/case-access.policy.js';
import { ShipmentStore } from '../../ledger/shipments/shipment.store.js';
import type { Caller } from '../../lib/auth/caller.js';
import { DEFAULT_CALLER, staffAt, startTestStack, type GraphQLResult, type TestStack } from '../support/stack.js';
import { scanMaterials } from '../support/scans.kit.js';

const SICHUAN_ITEM = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const CHONGQING_ITEM = YUKUAIBAN_CATALOG.find((item) => item.code === '500000-00001')!;

const MONDAY_MORNING = new Date('2025-11-24T10:00:00+08:00');
const APPLICANT = { kind: 'ORGANISATION' as const, name: '重庆某某检测技术有限公司', idNumber: '91350100M000100Y43' };
const CASE = { businessNo: 'TB2025112450000000001', waybillNo: '1100000000017' };

const CASE_QUERY = /* GraphQL */ `
  query Case($no: ID!, $code: ID!) {
    case(businessNo: $no) {
      businessNo
      scope
      stage
      applicant { kind name idNumber }
      contact { phone }
      item { __typename code name department promisedLimitDays }
      receivingWindow { name region }
      jurisdictionWindow { name }
      shipments { waybillNo purpose state }
      platformRecord { __typename id stage }
    }
    serviceItem(code: $code) { __typename code name department }
  }
`;

describe('the federated stack', () => {
  let stack: TestStack;
  let platformCaseId: string;

  beforeAll(async () => {
    stack = await startTestStack({ now: () => MONDAY_MORNING });
    const { record } = await stack.workflow.receiveApplication(
      {
        windowId: 'W-500000-01',
        itemCode: SICHUAN_ITEM.code,
        applicant: APPLICANT,
        contact: { name: '赵工', phone: '13812345678' },
        delivery: { method: 'PICKUP' },
        materials: SICHUAN_ITEM.materials.map(({ name, form, copies }) => ({ name, form, copies })),
        handler: '李四',
      },
      'test',
    );
    expect(record.businessNo).toBe(CASE.businessNo);
    await scanMaterials(stack, CASE.businessNo);
    await stack.workflow.dispatchMaterials(CASE.businessNo, 'ONLINE', 'test');
    platformCaseId = await waitFor(async () => (await stack.workflow.get(CASE.businessNo)).platformCaseId);
    const shipments = new ShipmentStore(stack.redis);
    await shipments.create(
      {
        waybillNo: CASE.waybillNo,
        businessNo: CASE.businessNo,
        parties: casePartiesOf(record),
        purpose: 'MATERIALS',
        fromWindowId: 'W-500000-01',
        toWindowId: 'W-510000-01',
        toAddress: '四川省成都市',
        contents: ['水利工程质量检测单位资质申请表'],
        costBearer: 'JURISDICTION',
        sendBy: null,
        createdAt: '2025-11-24T11:00:00+08:00',
      },
      { seq: 1, state: 'ORDERED', at: '2025-11-24T11:00:00+08:00', place: '网上下单' },
    );
    expect(
      (await shipments.track(CASE.waybillNo, [{ seq: 3, state: 'IN_TRANSIT', at: '2025-11-24T15:00:00+08:00', place: '重庆邮区中心' }], 'test'))?.record.state,
    ).toBe('IN_TRANSIT');
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('answers one query that touches every subgraph, exactly', async () => {
    const result = await stack.query(CASE_QUERY, { no: CASE.businessNo, code: CHONGQING_ITEM.code });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      case: {
        businessNo: 'TB2025112450000000001',
        scope: 'SICHUAN_CHONGQING',
        stage: 'IN_TRANSFER',
        // An organisation's USCC is public; a person's ID number would be masked.
        applicant: { kind: 'ORGANISATION', name: '重庆某某检测技术有限公司', idNumber: '91350100M000100Y43' },
        contact: { phone: '138****5678' },
        item: {
          __typename: 'SichuanServiceItem',
          code: '510000-00001',
          name: '水利工程质量检测单位乙级资质认定',
          department: '四川省水利厅',
          promisedLimitDays: SICHUAN_ITEM.promisedLimitDays,
        },
        receivingWindow: { name: '重庆市政务服务中心川渝通办窗口', region: 'CHONGQING' },
        jurisdictionWindow: { name: '四川省政务服务中心川渝通办窗口' },
        shipments: [{ waybillNo: CASE.waybillNo, purpose: 'MATERIALS', state: 'IN_TRANSIT' }],
        platformRecord: { __typename: 'SichuanPlatformCase', id: platformCaseId, stage: 'SUBMITTED' },
      },
      serviceItem: {
        __typename: 'ChongqingServiceItem',
        code: '500000-00001',
        name: CHONGQING_ITEM.name,
        department: CHONGQING_ITEM.department,
      },
    });
    expect(CHONGQING_ITEM.name).toBe('中小学生学籍管理');
  });

  it('pages through the catalog of both regions with one cursor', async () => {
    const query = /* GraphQL */ `
      query Items($search: String, $after: String) {
        serviceItems(search: $search, first: 2, after: $after) {
          totalCount
          pageInfo { hasNextPage endCursor }
          edges { node { __typename code name } }
        }
      }
    `;
    const first = await stack.query<{ serviceItems: { totalCount: number; pageInfo: { endCursor: string }; edges: { node: { code: string; name: string } }[] } }>(
      query,
      { search: '资质' },
    );
    expect(first.errors).toBeUndefined();
    const expected = [...YUKUAIBAN_CATALOG, ...SICHUAN_CATALOG].filter((item) => item.name.includes('资质'));
    expect(expected.length).toBeGreaterThan(2);
    expect(first.data!.serviceItems.totalCount).toBe(expected.length);
    const codes: string[] = first.data!.serviceItems.edges.map((e) => e.node.code);
    let after: string | null = first.data!.serviceItems.pageInfo.endCursor;
    while (after) {
      const next: GraphQLResult<{ serviceItems: { pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: { code: string } }[] } }> = await stack.query<{ serviceItems: { pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: { code: string } }[] } }>(
        query,
        { search: '资质', after },
      );
      codes.push(...next.data!.serviceItems.edges.map((e) => e.node.code));
      after = next.data!.serviceItems.pageInfo.hasNextPage ? next.data!.serviceItems.pageInfo.endCursor : null;
    }
    expect(codes).toEqual(expected.map((item) => item.code));
  });

  it('returns a clear error for a malformed item code and null for an unknown one', async () => {
    const bad = await stack.query('{ serviceItem(code: "abc") { code } }');
    expect(bad.errors?.[0]?.extensions?.code).toBe('INPUT.INVALID_ITEM_CODE');
    const unknown = await stack.query('{ serviceItem(code: "500000-99999") { code } }');
    expect(unknown).toEqual({ data: { serviceItem: null } });
  });

  describe('__resolveReference through _entities', () => {
    const entities = (name: Parameters<TestStack['querySubgraph']>[0], representations: unknown[], selection: string) =>
      stack.querySubgraph(name, `query ($r: [_Any!]!) { _entities(representations: $r) { ${selection} } }`, { r: representations });

    it('cases resolves Case and the ServiceItem interface', async () => {
      const result = await entities(
        'cases',
        [
          { __typename: 'Case', businessNo: CASE.businessNo },
          { __typename: 'Case', businessNo: 'TB-NONE' },
          { __typename: 'ServiceItem', code: '513200-00001' },
        ],
        '__typename ... on Case { stage receivingWindow { id } } ... on ServiceItem { code }',
      );
      expect(result).toEqual({
        data: {
          _entities: [
            { __typename: 'Case', stage: 'IN_TRANSFER', receivingWindow: { id: 'W-500000-01' } },
            null,
            { __typename: 'SichuanServiceItem', code: '513200-00001' },
          ],
        },
      });
    });

    it('chongqing and sichuan resolve their items and platform cases', async () => {
      const chongqing = await entities(
        'chongqing',
        [{ __typename: 'ChongqingServiceItem', code: '500000-00001' }, { __typename: 'ChongqingServiceItem', code: '500000-99999' }],
        '... on ChongqingServiceItem { name divisionCode sampleData }',
      );
      expect(chongqing).toEqual({
        data: { _entities: [{ name: CHONGQING_ITEM.name, divisionCode: '500000', sampleData: true }, null] },
      });
      const sichuan = await entities(
        'sichuan',
        [
          { __typename: 'SichuanServiceItem', code: '510000-00001' },
          { __typename: 'SichuanPlatformCase', id: platformCaseId, businessNo: CASE.businessNo },
          { __typename: 'SichuanPlatformCase', id: platformCaseId, businessNo: 'TB-OTHER' },
        ],
        '... on SichuanServiceItem { legalName } ... on SichuanPlatformCase { businessNo stage }',
      );
      expect(sichuan.data).toEqual({ _entities: [{ legalName: SICHUAN_ITEM.legalName }, { businessNo: CASE.businessNo, stage: 'SUBMITTED' }, null] });
      // The record under that id is another case's: withheld with the code, never shown as TB-OTHER's.
      expect(sichuan.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['PLATFORM.RECORD_MISMATCH', ['_entities', 2]]]);
    });

    it('windows resolves Window and courier resolves Shipment and Case.shipments', async () => {
      const windows = await entities('windows', [{ __typename: 'Window', id: 'W-513200-01' }, { __typename: 'Window', id: 'nope' }], '... on Window { divisionCode }');
      expect(windows).toEqual({ data: { _entities: [{ divisionCode: '513200' }, null] } });
      const courier = await entities(
        'courier',
        [
          { __typename: 'Shipment', waybillNo: CASE.waybillNo },
          { __typename: 'Case', businessNo: CASE.businessNo },
          { __typename: 'Case', businessNo: 'TB-NONE' },
        ],
        '... on Shipment { businessNo } ... on Case { shipments { waybillNo } }',
      );
      expect(courier).toEqual({
        data: { _entities: [{ businessNo: CASE.businessNo }, { shipments: [{ waybillNo: CASE.waybillNo }] }, { shipments: [] }] },
      });
    });
  });

  it('passes the request id and the caller credentials to every subgraph', async () => {
    const token = await stack.token(DEFAULT_CALLER);
    const seen: IncomingHttpHeaders[] = [];
    const windowsUrl = new URL(`${stack.subgraphs.windows.url}/graphql`);
    const proxy = await listen(
      createServer((req, res) => {
        seen.push(req.headers);
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', async () => {
          const upstream = await fetch(windowsUrl, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: String(req.headers.authorization),
              [GATEWAY_SIGNATURE_HEADER]: String(req.headers[GATEWAY_SIGNATURE_HEADER]),
            },
            body: Buffer.concat(chunks),
          });
          res.writeHead(upstream.status, { 'content-type': 'application/json' });
          res.end(await upstream.text());
        });
      }),
    );
    const gateway = await startGateway({
      ...stack.gatewayOptions,
      subgraphUrls: { ...stack.gateway.subgraphs, windows: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql` },
      subgraphTimeoutMs: 2000,
    });
    try {
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'req-42', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: `{ case(businessNo: "${CASE.businessNo}") { receivingWindow { name } } }` }),
      });
      expect(response.headers.get('x-request-id')).toBe('req-42');
      expect(await response.json()).toEqual({ data: { case: { receivingWindow: { name: '重庆市政务服务中心川渝通办窗口' } } } });
      expect(seen).toHaveLength(1);
      expect(seen[0]!['x-request-id']).toBe('req-42');
      expect(seen[0]!.authorization).toBe(`Bearer ${token}`);

      const generated = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ windows(region: CHONGQING) { id } }' }),
      });
      const id = generated.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(seen[1]!['x-request-id']).toBe(id);
    } finally {
      await gateway.close();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('scopes a timeout to the fields of the slow subgraph', async () => {
    const hanging = await listen(createServer(() => undefined));
    const gateway = await startGateway({
      ...stack.gatewayOptions,
      subgraphUrls: { ...stack.gateway.subgraphs, courier: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/graphql` },
      subgraphTimeoutMs: 300,
    });
    try {
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.token(DEFAULT_CALLER)}` },
        body: JSON.stringify({ query: `{ case(businessNo: "${CASE.businessNo}") { stage shipments { waybillNo } } }` }),
      });
      expect(await response.json()).toEqual({
        data: { case: { stage: 'IN_TRANSFER', shipments: null } },
        errors: [
          {
            message: 'subgraph "courier" did not answer within 300 ms',
            path: ['case', 'shipments'],
            extensions: { code: 'SUBGRAPH.TIMEOUT', serviceName: 'courier' },
          },
        ],
      });
    } finally {
      await gateway.close();
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  });

  it('shows a waybill only to those who may see its case, through the gateway and through _entities (issue #18 item 7)', async () => {
    const SHIPMENT = 'query ($no: ID!) { shipment(waybillNo: $no) { waybillNo businessNo contents } }';
    const allowed: Caller[] = [
      DEFAULT_CALLER,
      staffAt('W-510000-01'),
      { subject: 'j-sc', role: 'JURISDICTION_STAFF', region: 'SICHUAN', windowId: 'W-510000-01' },
      { subject: 's-cq', role: 'SUPERVISOR', region: 'CHONGQING', windowId: null },
    ];
    const refused: Caller[] = [
      { subject: 'ops-1', role: 'OPS', region: 'CHONGQING', windowId: null },
      { subject: 'platform-sc', role: 'PLATFORM', region: 'SICHUAN', windowId: null },
      staffAt('W-500101-01'),
      { subject: 'j-cq', role: 'JURISDICTION_STAFF', region: 'CHONGQING', windowId: 'W-500101-01' },
    ];
    for (const caller of allowed) {
      const result = await stack.as(caller).query(SHIPMENT, { no: CASE.waybillNo });
      expect([caller.subject, result.data?.shipment]).toEqual([caller.subject, expect.objectContaining({ businessNo: CASE.businessNo })]);
    }
    // Straight to the courier subgraph, as the planner would ask it: no ledger in between to refuse the case.
    const entities = async (caller: Caller) => {
      const url = `${stack.subgraphs.courier.url}/graphql`;
      const body = JSON.stringify({
        query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Shipment { businessNo contents } ... on Case { shipments { waybillNo } } } }',
        variables: { r: [{ __typename: 'Shipment', waybillNo: CASE.waybillNo }, { __typename: 'Case', businessNo: CASE.businessNo }] },
      });
      const response = await fetch(url, { method: 'POST', headers: asGateway(stack.config.gatewayKeys[0]!, url, body, `Bearer ${await stack.token(caller)}`), body });
      return (await response.json()) as GraphQLResult<{ _entities: unknown[] }>;
    };
    for (const caller of refused) {
      const result = await stack.as(caller).query(SHIPMENT, { no: CASE.waybillNo });
      expect([caller.subject, result.data?.shipment ?? null, result.errors?.[0]?.extensions?.code]).toEqual([caller.subject, null, 'AUTH.FORBIDDEN']);
      const direct = await entities(caller);
      // Platforms are refused by every subgraph before any resolver runs; the others get nothing of the waybill.
      const expected = caller.role === 'PLATFORM' ? 'AUTH.FORBIDDEN' : [null, { shipments: [] }];
      expect([caller.subject, direct.data?._entities ?? direct.errors?.[0]?.extensions?.code]).toEqual([caller.subject, expected]);
    }
    expect((await entities(DEFAULT_CALLER)).data?._entities).toEqual([
      { businessNo: CASE.businessNo, contents: ['水利工程质量检测单位资质申请表'] },
      { shipments: [{ waybillNo: CASE.waybillNo }] },
    ]);
  });

  it('serves the official working-day calendar', async () => {
    const result = await stack.query(`{
      springFestival: workingDays(from: "2025-01-24", to: "2025-02-10")
      afterNationalDay: addWorkingDays(date: "2025-09-30", days: 2)
      makeUp: calendarDay(date: "2026-02-14") { kind isWorkingDay holiday }
      holiday: isWorkingDay(date: "2026-02-16")
    }`);
    // 01-24 not counted; 01-26 (Sun, 调休), 01-27, 02-05, 02-06, 02-07, 02-08 (Sat, 调休), 02-10: 7 working days.
    expect(result).toEqual({
      data: {
        springFestival: 7,
        afterNationalDay: '2025-10-10',
        makeUp: { kind: 'MAKEUP_WORKDAY', isWorkingDay: true, holiday: '春节' },
        holiday: false,
      },
    });
    const unpublished = await stack.query('{ workingDays(from: "2031-01-01", to: "2031-02-01") }');
    expect(unpublished.errors?.[0]?.extensions?.code).toBe('CALENDAR.YEAR_NOT_PUBLISHED');
  });

  it('queues verified platform pushes once and refuses forged ones', async () => {
    const [moved] = await stack.sichuan.advance(platformCaseId);
    expect(moved).toBeDefined();
    const delivery = stack.sichuan.webhookDeliveries().at(-1)!;
    expect(delivery).toMatchObject({ delivered: true, gaveUp: false });
    const queue = new Queue(QUEUES.platformSync, { connection: stack.redis.duplicate({ keyPrefix: '' }), prefix: bullPrefix(stack.prefix) });
    try {
      const job = await queue.getJob(`event-SICHUAN-${delivery.eventId}`);
      expect(job?.data).toMatchObject({ region: 'SICHUAN', businessNo: CASE.businessNo, platformCaseId, stage: 'ACCEPTED' });
      // The platform's acceptance proves the materials arrived: the clock resumes without anyone confirming.
      expect(await waitFor(async () => ((await stack.workflow.get(CASE.businessNo)).stage === 'AT_JURISDICTION' ? true : null))).toBe(true);

      const body = JSON.stringify({ eventId: 'forged-1', caseId: platformCaseId, businessNo: CASE.businessNo, status: 'CJ' });
      const head = { appId: stack.config.platforms.sichuan.appId, requestTime: formatWireTime(Date.now()), nonce: 'forgednonce0000000001', signType: 'SM3' };
      const forged = await fetch(`${stack.subgraphs.sichuan.url}/webhooks/sichuan`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ head: { ...head, sign: sm3Sign('not-the-shared-secret', requestCanonical(head, body)) }, body }),
      });
      expect(forged.status).toBe(401);
      expect(await forged.json()).toMatchObject({ code: 'WEBHOOK.BAD_SIGNATURE' });
      expect(await queue.getJobCounts('waiting', 'delayed', 'completed', 'failed')).toEqual({ waiting: 0, delayed: 0, completed: 1, failed: 0 });
    } finally {
      await queue.close();
    }
  });

  it('reports ready, then keeps answering with scoped errors when a subgraph dies', async () => {
    const ready = await fetch(`${stack.gateway.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await fetch(`${stack.gateway.url}/health`).then((r) => r.status)).toBe(200);

    await stack.stopSubgraph('windows');

    const notReady = await fetch(`${stack.gateway.url}/ready`);
    expect(notReady.status).toBe(503);
    const body = (await notReady.json()) as { subgraphs: Record<string, string> };
    expect(body.subgraphs.windows).toMatch(/^unreachable/);
    expect(body.subgraphs.cases).toBe('ok');

    const result = await stack.query(CASE_QUERY, { no: CASE.businessNo, code: CHONGQING_ITEM.code });
    const kase = (result.data as { case: Record<string, unknown> }).case;
    expect(kase.receivingWindow).toBeNull();
    expect(kase.jurisdictionWindow).toBeNull();
    expect(kase.item).toMatchObject({ name: '水利工程质量检测单位乙级资质认定' });
    expect(kase.shipments).toEqual([{ waybillNo: CASE.waybillNo, purpose: 'MATERIALS', state: 'IN_TRANSIT' }]);
    expect(result.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([
      [['case', 'receivingWindow', 'name'], 'SUBGRAPH.UNAVAILABLE'],
      [['case', 'receivingWindow', 'region'], 'SUBGRAPH.UNAVAILABLE'],
      [['case', 'jurisdictionWindow', 'name'], 'SUBGRAPH.UNAVAILABLE'],
    ]);

    const rootOnly = await stack.query('{ windows { id } }');
    expect(rootOnly.data).toEqual({ windows: null });
    expect(rootOnly.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['windows'], 'SUBGRAPH.UNAVAILABLE']]);
  });
});

async function waitFor<T>(probe: () => Promise<T | null | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function listen(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
