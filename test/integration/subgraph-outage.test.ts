import { casePartiesOf } from '../../lib/case-access.policy.js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import type { SubgraphName } from '../../lib/config.js';
import { startTestStack, type GraphQLResult, type TestStack } from '../support/stack.js';
import { scanMaterials } from '../support/scans.kit.js';

const SICHUAN_ITEM = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const MONDAY_MORNING = new Date('2025-11-24T10:00:00+08:00');
const BUSINESS_NO = 'TB2025112450000000001';
const WAYBILL_NO = '1100000000017';

/** A receiving window's desk: its case, the Chongqing catalog, the Sichuan windows and a waybill, from all five subgraphs. */
const DESK_QUERY = /* GraphQL */ `
  query Desk($no: ID!, $waybillNo: ID!) {
    case(businessNo: $no) {
      businessNo
      stage
      item { __typename code name }
      receivingWindow { id name }
      shipments { waybillNo state }
      platformRecord { __typename stage }
    }
    serviceItems(region: CHONGQING, first: 2) {
      totalCount
      edges { node { __typename code name promisedLimitDays } }
    }
    windows(region: SICHUAN, divisionCode: "510000") { id name }
    shipment(waybillNo: $waybillNo) { waybillNo state }
  }
`;

type Answer = GraphQLResult<Record<string, unknown>>;

/** A stack holding one Sichuan case received in Chongqing, forwarded to the platform, with its paper on the way. */
async function deskStack(): Promise<TestStack> {
  const stack = await startTestStack({ now: () => MONDAY_MORNING });
  await stack.workflow.receiveApplication(
    {
      windowId: 'W-500000-01',
      itemCode: SICHUAN_ITEM.code,
      applicant: { kind: 'ORGANISATION', name: '重庆某某检测技术有限公司', idNumber: '91350100M000100Y43' },
      contact: { name: '赵工', phone: '13812345678' },
      delivery: { method: 'PICKUP' },
      materials: SICHUAN_ITEM.materials.map(({ name, form, copies }) => ({ name, form, copies })),
      handler: '李四',
    },
    'test',
  );
  await scanMaterials(stack, BUSINESS_NO);
  await stack.workflow.dispatchMaterials(BUSINESS_NO, 'ONLINE', 'test');
  const deadline = Date.now() + 10_000;
  while (!(await stack.workflow.get(BUSINESS_NO)).platformCaseId) {
    if (Date.now() > deadline) throw new Error('the case never reached the Sichuan platform');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stack.shipments.create(
    {
      waybillNo: WAYBILL_NO,
      businessNo: BUSINESS_NO,
      parties: casePartiesOf(await stack.workflow.get(BUSINESS_NO)),
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
  return stack;
}

const ask = (stack: TestStack) => stack.query(DESK_QUERY, { no: BUSINESS_NO, waybillNo: WAYBILL_NO });

/** The healthy answer with the value at each path set to null. */
function withNulls(data: Record<string, unknown>, paths: (string | number)[][]): Record<string, unknown> {
  const copy = structuredClone(data);
  for (const path of paths) {
    let parent = copy as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    parent[path.at(-1)!] = null;
  }
  return copy;
}

const errorsOf = (answer: Answer) =>
  (answer.errors ?? []).map((error) => [error.path?.join('.'), error.extensions?.code]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));

describe('one subgraph down costs only its own fields', () => {
  let healthy: Record<string, unknown>;
  let stack: TestStack | undefined;

  beforeAll(async () => {
    const up = await deskStack();
    try {
      const answer = await ask(up);
      expect(answer.errors).toBeUndefined();
      healthy = answer.data!;
    } finally {
      await up.close();
    }
    // Every part of the query has something to lose: a region's outage must show in the catalog list and the case.
    expect(healthy).toMatchObject({
      case: {
        item: { __typename: 'SichuanServiceItem', code: SICHUAN_ITEM.code, name: SICHUAN_ITEM.name },
        receivingWindow: { id: 'W-500000-01' },
        shipments: [{ waybillNo: WAYBILL_NO, state: 'ORDERED' }],
        platformRecord: { __typename: 'SichuanPlatformCase' },
      },
      serviceItems: { edges: [{ node: { __typename: 'ChongqingServiceItem' } }, { node: { __typename: 'ChongqingServiceItem' } }] },
      windows: expect.arrayContaining([expect.objectContaining({ id: 'W-510000-01' })]),
      shipment: { waybillNo: WAYBILL_NO, state: 'ORDERED' },
    });
  }, 60_000);

  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  const outages: [SubgraphName, { nulls: (string | number)[][]; errors: string[] }][] = [
    ['cases', { nulls: [['case'], ['serviceItems']], errors: ['case', 'serviceItems'] }],
    [
      'chongqing',
      {
        nulls: [0, 1].flatMap((i) => [['serviceItems', 'edges', i, 'node', 'name'], ['serviceItems', 'edges', i, 'node', 'promisedLimitDays']]),
        errors: [0, 1].flatMap((i) => [`serviceItems.edges.${i}.node.name`, `serviceItems.edges.${i}.node.promisedLimitDays`]),
      },
    ],
    [
      'sichuan',
      {
        nulls: [['case', 'item', 'name'], ['case', 'platformRecord']],
        errors: ['case.item.name', 'case.platformRecord.stage'],
      },
    ],
    ['windows', { nulls: [['case', 'receivingWindow'], ['windows']], errors: ['case.receivingWindow.name', 'windows'] }],
    ['courier', { nulls: [['case', 'shipments'], ['shipment']], errors: ['case.shipments', 'shipment'] }],
  ];

  it.each(outages)('with %s down', async (name, expected) => {
    stack = await deskStack();
    await stack.stopSubgraph(name);
    const answer = await ask(stack);
    expect(answer.data).toEqual(withNulls(healthy, expected.nulls));
    expect(errorsOf(answer)).toEqual(expected.errors.sort().map((path) => [path, 'SUBGRAPH.UNAVAILABLE']));
  }, 60_000);
});
