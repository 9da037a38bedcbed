import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { formatBusinessNo } from '../../domain/workflow/business-number.js';
import { OfficialGuideStore, validateGuideFile } from '../../ledger/catalog/official-guides.js';
import { application } from '../support/process.kit.js';
import { renderNotice } from '../../subgraphs/cases/case.view.js';
import type { CaseRecord } from '../../ledger/cases/case.model.js';
import type { WindowRecord } from '../../ledger/windows/window.model.js';
import { staffAt, startTestStack, type TestStack } from '../support/stack.js';

const run = promisify(execFile);
const item = (code: string) => SICHUAN_CATALOG.find((candidate) => candidate.code === code)!;
const DELEGATED = item('513200-00013');
const SUSPENDED = item('513200-00032');
const OPEN = item('513200-00003');
const SAMPLE_FILE = new URL('../../scripts/guide.sample.json', import.meta.url);

const RECEIVING = { name: '四川省政务服务中心“通办”窗口', contact: { phone: '028-12345678' } } as WindowRecord;
const printed = (record: CaseRecord) => renderNotice(record, record.notices[0]!, { receiving: RECEIVING, jurisdiction: null });

const ITEMS = /* GraphQL */ `
  query ($search: String) {
    serviceItems(region: SICHUAN, search: $search, first: 5) {
      edges { node { code status statusRemark sampleData legalLimitDays promisedLimitDays } }
    }
  }
`;

describe('catalog: item status (seed 004 备注) and official 办事指南', () => {
  let stack: TestStack;
  const now = new Date('2025-11-24T10:00:00+08:00');

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('search results say 暂停 and 已下放, and receipt refuses those items without taking a business number', async () => {
    for (const [target, status, remark] of [
      [SUSPENDED, 'SUSPENDED', '暂停'],
      [DELEGATED, 'DELEGATED', '已下放'],
    ] as const) {
      const found = await stack.query<{ serviceItems: { edges: { node: { code: string; status: string; statusRemark: string } }[] } }>(ITEMS, { search: target.name });
      expect(found.errors).toBeUndefined();
      expect(found.data!.serviceItems.edges.map((edge) => edge.node)).toContainEqual(expect.objectContaining({ code: target.code, status, statusRemark: remark }));

      const refused = await stack.workflow.receiveApplication(application(target, 'W-510000-01', '暂停'), 'test').catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 'CATALOG.ITEM_NOT_AVAILABLE' });
      expect((refused as Error).message).toContain(remark);
    }
    const open = await stack.query<{ serviceItems: { edges: { node: { code: string; status: string; statusRemark: string | null } }[] } }>(ITEMS, { search: OPEN.name });
    expect(open.data!.serviceItems.edges[0]!.node).toMatchObject({ code: OPEN.code, status: 'AVAILABLE', statusRemark: null });

    const { record } = await stack.workflow.receiveApplication(application(OPEN, 'W-510000-01', '在用'), 'test');
    expect(record.businessNo).toBe(formatBusinessNo('2025-11-24', '510000', 1));
  });

  it('the mutation refuses a suspended item with the code at the boundary', async () => {
    const result = await stack.as(staffAt('W-510000-01')).query(
      /* GraphQL */ `mutation ($input: ReceiveApplicationInput!) { receiveApplication(input: $input) { __typename } }`,
      { input: application(SUSPENDED, 'W-510000-01', 'gql') },
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('CATALOG.ITEM_NOT_AVAILABLE');
  });

  it('a notice of an item with generated limits says so; an official guide loaded by ops replaces them', async () => {
    const before = await stack.workflow.receiveApplication(application(OPEN, 'W-510000-01', '示例'), 'test');
    expect(printed(before.record)).toContain('示例数据，不是官方办事指南');

    const dir = mkdtempSync(join(tmpdir(), 'guide-'));
    const file = join(dir, 'guide.json');
    const sample = JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as { items: { code: string }[] };
    writeFileSync(file, JSON.stringify({ ...sample, items: sample.items.map((entry) => ({ ...entry, code: OPEN.code })).slice(0, 1) }));
    const env = { ...process.env, REDIS_URL: stack.redisUrl, REDIS_KEY_PREFIX: stack.prefix, LOG_LEVEL: 'silent' };

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...sample, items: [{ ...sample.items[0], code: OPEN.code, promisedLimitDays: 99, legalLimitDays: 20 }] }));
    const refused = await run(process.execPath, ['--import', 'tsx', 'scripts/ops.ts', 'guide', 'load', bad], { env }).catch((error: { stderr: string; code: number }) => error);
    expect((refused as { stderr: string }).stderr).toContain('GUIDE.LIMITS_INCONSISTENT');
    expect(await new OfficialGuideStore(stack.redis).get([OPEN.code])).toEqual([null]);

    const loaded = await run(process.execPath, ['--import', 'tsx', 'scripts/ops.ts', 'guide', 'load', file], { env });
    expect(loaded.stdout).toContain('1 item');

    const guide = validateGuideFile(JSON.parse(readFileSync(file, 'utf8'))).get(OPEN.code)!;
    const found = await stack.query<{ serviceItems: { edges: { node: Record<string, unknown> }[] } }>(ITEMS, { search: OPEN.name });
    expect(found.data!.serviceItems.edges[0]!.node).toMatchObject({
      code: OPEN.code,
      sampleData: false,
      legalLimitDays: guide.legalLimitDays,
      promisedLimitDays: guide.promisedLimitDays,
    });
    const source = await stack.query(`{ serviceItem(code: "${OPEN.code}") { ... on SichuanServiceItem { guideSource } } }`);
    expect(source.data).toEqual({ serviceItem: { guideSource: guide.source } });

    const after = await stack.workflow.receiveApplication({ ...application(OPEN, 'W-510000-01', '官方'), materials: guide.materials.map(({ name, form, copies }) => ({ name, form, copies })) }, 'test');
    expect(after.record.stage).toBe('RECEIVED');
    expect(after.record.item).toMatchObject({ promisedLimitDays: guide.promisedLimitDays, sampleData: false });
    const officialNotice = printed(after.record);
    expect(officialNotice).not.toContain('示例');
    expect(officialNotice).toContain(`${guide.promisedLimitDays}个工作日`);
  });

  it('refuses a bad guide file with a stable code', () => {
    const sample = JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as { items: object[] };
    const code = (input: unknown) => {
      try {
        validateGuideFile(input);
        return 'accepted';
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(code(sample)).toBe('accepted');
    expect(code({ ...sample, format: 'other' })).toBe('GUIDE.UNKNOWN_FORMAT');
    expect(code({ ...sample, items: [] })).toBe('GUIDE.INVALID_FILE');
    expect(code({ ...sample, items: [sample.items[0], sample.items[0]] })).toBe('GUIDE.DUPLICATE_ITEM');
    expect(code({ ...sample, items: [{ ...sample.items[0], code: '110000-00001' }] })).toBe('GUIDE.INVALID_ITEM_CODE');
    const [first] = sample.items as { materials: object[] }[];
    expect(code({ ...sample, items: [{ ...first, materials: [first!.materials[0], first!.materials[0]] }] })).toBe('GUIDE.DUPLICATE_MATERIAL');
  });
});
