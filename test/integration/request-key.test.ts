import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { YUKUAIBAN_CATALOG } from '../../adapters/yukuaiban/yukuaiban.catalog.js';
import type { CatalogItem } from '../../adapters/platform.port.js';
import { parseBusinessNo } from '../../domain/workflow/business-number.js';
import { DEFAULT_CALLER, staffAt, startTestStack, type TestStack } from '../support/stack.js';

/** `requestKey` (issue #18 item 6, #22 item 4): scoped to its caller, bounded, bound to its input, and free of business numbers. */
const SICHUAN_WATER = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const CHONGQING_ITEM = YUKUAIBAN_CATALOG.find((item) => item.scopes.includes('SICHUAN_CHONGQING'))!;

const RECEIVE = /* GraphQL */ `
  mutation Receive($input: ReceiveApplicationInput!) {
    receiveApplication(input: $input) { businessNo html case { applicant { name } } }
  }
`;

function application(windowId: string, item: CatalogItem, requestKey: string, applicantName = '某某工程检测有限公司') {
  return {
    requestKey,
    windowId,
    itemCode: item.code,
    applicant: { kind: 'ORGANISATION', name: applicantName, idNumber: '91350100M000100Y43' },
    contact: { name: '赵工', phone: '13812345678' },
    delivery: { method: 'PICKUP' },
    materials: item.materials.map(({ name, form, copies }) => ({ name, form, copies })),
    handler: '李四',
  };
}

describe('requestKey', () => {
  let stack: TestStack;
  const now = new Date('2025-11-24T10:00:00+08:00');
  const sichuanStaff = staffAt('W-510000-01');

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now });
  });

  afterAll(async () => {
    await stack?.close();
  });

  const receive = (caller = DEFAULT_CALLER, input: Record<string, unknown>) =>
    stack.as(caller).query<{ receiveApplication: { businessNo: string; html: string } }>(RECEIVE, { input });

  it("never answers one window's key with another window's case", async () => {
    const chongqing = await receive(DEFAULT_CALLER, application('W-500000-01', SICHUAN_WATER, 'shared-0001', '重庆某某有限公司'));
    const sichuan = await receive(sichuanStaff, application('W-510000-01', CHONGQING_ITEM, 'shared-0001', '四川某某有限公司'));
    expect(chongqing.errors).toBeUndefined();
    expect(sichuan.errors).toBeUndefined();
    const theirs = sichuan.data!.receiveApplication;
    expect(theirs.businessNo).not.toBe(chongqing.data!.receiveApplication.businessNo);
    expect(parseBusinessNo(theirs.businessNo)?.divisionCode).toBe('510000');
    expect(theirs.html).not.toContain('重庆某某有限公司');
  });

  it('refuses the same key from the same caller with a different application', async () => {
    const first = await receive(DEFAULT_CALLER, application('W-500000-01', SICHUAN_WATER, 'reuse-0001', '甲公司'));
    expect(first.errors).toBeUndefined();
    const again = await receive(DEFAULT_CALLER, application('W-500000-01', SICHUAN_WATER, 'reuse-0001', '乙公司'));
    expect(again.errors?.[0]?.extensions?.code).toBe('CASE.REQUEST_KEY_REUSED');
    expect(again.data?.receiveApplication ?? null).toBeNull();
  });

  it('refuses an over-long or unprintable key and stores nothing', async () => {
    const ledgerKeys = async () => (await Promise.all(['idem:*', 'case:*', 'seq:*'].map((pattern) => stack.keys(pattern)))).flat().sort();
    const keysBefore = await ledgerKeys();
    for (const key of ['k'.repeat(129), 'x'.repeat(100_000), '', 'with space', 'tab\there']) {
      const result = await receive(DEFAULT_CALLER, application('W-500000-01', SICHUAN_WATER, key));
      expect([key.slice(0, 20), result.errors?.[0]?.extensions?.code]).toEqual([key.slice(0, 20), 'INPUT.INVALID_REQUEST_KEY']);
    }
    expect(await ledgerKeys()).toEqual(keysBefore);
    const longest = await receive(DEFAULT_CALLER, application('W-500000-01', SICHUAN_WATER, 'k'.repeat(128)));
    expect(longest.errors).toBeUndefined();
  });

  it('spends one business number on 20 retries of one submission, and the next application takes the next one', async () => {
    const input = application('W-500101-01', SICHUAN_WATER, 'retry-0001');
    const caller = staffAt('W-500101-01');
    const answers: string[] = [];
    for (let i = 0; i < 20; i++) {
      const result = await receive(caller, input);
      expect(result.errors).toBeUndefined();
      answers.push(result.data!.receiveApplication.businessNo);
    }
    expect(new Set(answers).size).toBe(1);
    const next = await receive(caller, application('W-500101-01', SICHUAN_WATER, 'retry-0002'));
    const first = parseBusinessNo(answers[0]!)!;
    expect(parseBusinessNo(next.data!.receiveApplication.businessNo)).toEqual({ ...first, sequence: first.sequence + 1 });
  });
});
