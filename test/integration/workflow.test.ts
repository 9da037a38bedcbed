import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { YUKUAIBAN_CATALOG } from '../../adapters/yukuaiban/yukuaiban.catalog.js';
import type { CatalogItem } from '../../adapters/platform.port.js';
import { ARTIFACTS, launchChromium } from '../support/browser.js';
import type { Caller } from '../../lib/auth/caller.js';
import { DEFAULT_CALLER, staffAt, startTestStack, type TestStack } from '../support/stack.js';
import { scanMaterials } from '../support/scans.kit.js';
import { until } from '../support/until.kit.js';

/**
 * The 通办 workflow of seed 000 end to end through the gateway: real Redis, real
 * platform sandboxes and real workers. Time is the stack's clock, moved by the
 * tests to cross days and holidays; the sandboxes keep real time.
 */
const ORGANISATION = { kind: 'ORGANISATION', name: '某某工程检测有限公司', idNumber: '91350100M000100Y43' };
const CONTACT = { name: '赵工', phone: '13812345678' };

const SICHUAN_WATER = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const CHONGQING_ITEM = YUKUAIBAN_CATALOG.find((item) => item.scopes.includes('SICHUAN_CHONGQING') && item.scopes.includes('CROSS_DISTRICT'))!;
const ABA_ITEM = SICHUAN_CATALOG.find((item) => item.divisionCode === '513200' && item.scopes.includes('IN_PROVINCE'))!;
const ABA_PROVINCE_ONLY = SICHUAN_CATALOG.find((item) => item.divisionCode === '513200' && !item.scopes.includes('SICHUAN_CHONGQING'))!;

const RECEIVE = /* GraphQL */ `
  mutation Receive($input: ReceiveApplicationInput!) {
    receiveApplication(input: $input) {
      __typename
      id
      kind
      businessNo
      url
      ... on DeficiencyNotice { correctionDeadline deficiencies { name verdict opinion } }
      case { stage scope jurisdictionWindow { id } clock { status consumedWorkingDays } }
    }
  }
`;

const CASE = /* GraphQL */ `
  query Case($no: ID!) {
    case(businessNo: $no) {
      businessNo
      stage
      scope
      decision
      refusalReasons
      clock { limitDays consumedWorkingDays remainingWorkingDays paused status dueAt }
      deadlines { kind dueAt completedAt status }
      transfer { channel forwardedAt receivedAt }
      platformRecord { __typename stage }
      result { method applicantNotifiedAt deliveredAt }
      evaluation { score comment }
      notices { __typename id kind }
      timeline { type actor }
    }
  }
`;

function allMaterials(item: CatalogItem) {
  return item.materials.map(({ name, form, copies }) => ({ name, form, copies }));
}

function input(windowId: string, item: CatalogItem, materials = allMaterials(item)) {
  return {
    windowId,
    itemCode: item.code,
    applicant: ORGANISATION,
    contact: CONTACT,
    delivery: { method: 'PICKUP' },
    materials,
    handler: '李四',
  };
}

describe('the 通办 workflow through the gateway', () => {
  let stack: TestStack;
  let now = new Date('2025-11-24T10:00:00+08:00');

  const at = (iso: string) => {
    now = new Date(iso);
  };

  async function gql<T = any>(query: string, variables?: Record<string, unknown>, caller: Caller = DEFAULT_CALLER): Promise<T> {
    const result = await stack.as(caller).query(query, variables);
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return result.data as T;
  }

  const receiveAt = (windowId: string, item: CatalogItem, materials?: ReturnType<typeof allMaterials>) =>
    gql(RECEIVE, { input: input(windowId, item, materials) }, staffAt(windowId));

  async function caseOf(no: string, caller: Caller = DEFAULT_CALLER) {
    return (await gql(CASE, { no }, caller)).case;
  }

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now, sichuanRejects: ['510000-00002'] });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('川渝通办, Chongqing window → Sichuan item: receipt, transfer, decision, pickup, evaluation', async () => {
    at('2025-11-24T10:00:00+08:00');
    const { receiveApplication: notice } = await gql(RECEIVE, { input: input('W-500000-01', SICHUAN_WATER) });
    expect(notice).toMatchObject({
      __typename: 'ReceiptNotice',
      kind: 'RECEIPT',
      businessNo: 'TB2025112450000000001',
      url: '/notices/TB2025112450000000001/N1',
      case: { stage: 'RECEIVED', scope: 'SICHUAN_CHONGQING', jurisdictionWindow: { id: 'W-510000-01' }, clock: { status: 'ON_TRACK', consumedWorkingDays: 0 } },
    });
    const no = notice.businessNo as string;

    const staffToken = await stack.token(DEFAULT_CALLER);
    const page = await fetch(`${stack.gateway.url}${notice.url}`, { headers: { authorization: `Bearer ${staffToken}` } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain(no);
    expect(html).toContain('收件通知书');
    expect(html).toContain(SICHUAN_WATER.name);

    // What window staff print: the gateway's page in a real browser, three A4 copies.
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage({ extraHTTPHeaders: { authorization: `Bearer ${staffToken}` } });
      await tab.goto(`${stack.gateway.url}${notice.url}`);
      expect(await tab.locator('body').innerText()).toContain(no);
      await tab.screenshot({ path: `${ARTIFACTS}/gateway-receipt-notice.png`, fullPage: true });
      const pdf = await tab.pdf({ format: 'A4', preferCSSPageSize: true });
      expect(pdf.toString("latin1").match(/\/Type\s*\/Page(?![a-zA-Z])/g)).toHaveLength(3);
    } finally {
      await browser.close();
    }

    at('2025-11-25T09:30:00+08:00');
    await scanMaterials(stack, no);
    await gql('mutation ($no: ID!) { dispatchMaterials(businessNo: $no, channel: ONLINE) { stage } }', { no });
    const platformCaseId = await until('the case forwarded', async () => (await stack.workflow.get(no)).platformCaseId);
    expect(stack.sichuan.cases().filter((c) => c.businessNo === no)).toHaveLength(1);

    let kase = await caseOf(no);
    expect(kase.stage).toBe('IN_TRANSFER');
    expect(kase.clock).toMatchObject({ paused: true, consumedWorkingDays: 1 });
    expect(kase.deadlines).toContainEqual(expect.objectContaining({ kind: 'ONLINE_TRANSFER', status: 'MET' }));

    at('2025-11-26T10:00:00+08:00');
    await stack.sichuan.advance(platformCaseId); // 受理: acceptance resumes the clock
    await until('the case at the jurisdiction', async () => (await stack.workflow.get(no)).stage === 'AT_JURISDICTION');
    await stack.sichuan.advance(platformCaseId); // 审核
    await stack.sichuan.advance(platformCaseId); // 决定
    await until('the decision', async () => (await stack.workflow.get(no)).stage === 'DECIDED');

    at('2025-11-28T15:00:00+08:00');
    kase = await caseOf(no);
    expect(kase).toMatchObject({ stage: 'DECIDED', decision: 'APPROVED', platformRecord: { __typename: 'SichuanPlatformCase', stage: 'DECIDED' } });
    // 11-25 (receipt → dispatch) and 11-27, 11-28 after the jurisdiction received on 11-26.
    expect(kase.clock).toMatchObject({ paused: false, consumedWorkingDays: 3, remainingWorkingDays: SICHUAN_WATER.promisedLimitDays - 3 });

    await gql('mutation ($no: ID!) { recordResultDispatched(businessNo: $no, delivery: { method: PICKUP }) { stage } }', { no }, staffAt('W-510000-01'));
    await gql('mutation ($no: ID!) { recordReceivingWindowFeedback(businessNo: $no) { stage } }', { no }, staffAt('W-510000-01'));
    at('2025-12-01T10:00:00+08:00');
    await gql('mutation ($no: ID!) { recordResultAtWindow(businessNo: $no) { stage } }', { no });
    await gql('mutation ($no: ID!) { notifyApplicantForPickup(businessNo: $no) { stage } }', { no });
    await until('the applicant notified', async () => (await stack.workflow.get(no)).result?.applicantNotifiedAt);
    await gql('mutation ($no: ID!) { recordDelivered(businessNo: $no) { stage } }', { no });
    const { evaluate } = await gql('mutation ($no: ID!) { evaluate(businessNo: $no, score: 5, comment: "就近办理，很方便") { score comment } }', { no });
    expect(evaluate).toEqual({ score: 5, comment: '就近办理，很方便' });

    kase = await caseOf(no);
    expect(kase.stage).toBe('DELIVERED');
    expect(kase.clock).toMatchObject({ status: 'STOPPED', consumedWorkingDays: 3, dueAt: null });
    expect(kase.deadlines.map((d: { kind: string; status: string }) => [d.kind, d.status])).toEqual([
      ['ONLINE_TRANSFER', 'MET'],
      ['RECEIVING_WINDOW_FEEDBACK', 'MET'],
      ['APPLICANT_PICKUP_NOTICE', 'MET'],
    ]);
    expect(kase.timeline.map((e: { type: string }) => e.type)).toEqual([
      'RECEIVED',
      // The notice printed above, by fetch and in the browser: each print of the applicant's data is audited.
      'PERSONAL_DATA_READ',
      'PERSONAL_DATA_READ',
      // Each material's scan, bound before the online dispatch.
      ...SICHUAN_WATER.materials.map(() => 'MATERIAL_SCAN_ATTACHED'),
      'MATERIALS_DISPATCHED',
      // Each scan acknowledged by the platform before the case is submitted.
      ...SICHUAN_WATER.materials.map(() => 'MATERIAL_SCAN_TRANSFERRED'),
      'FORWARDED_TO_PLATFORM',
      'PLATFORM_ACCEPTED',
      'PLATFORM_REVIEWING',
      'PLATFORM_DECIDED',
      'RESULT_DISPATCHED',
      'RECEIVING_WINDOW_FEEDBACK_GIVEN',
      'RESULT_AT_RECEIVING_WINDOW',
      'APPLICANT_PICKUP_NOTICE_QUEUED',
      'APPLICANT_NOTIFIED_FOR_PICKUP',
      'RESULT_DELIVERED',
      'EVALUATED',
    ]);
    expect(kase.timeline.find((e: { type: string }) => e.type === 'PLATFORM_ACCEPTED').actor).toBe('platform:SICHUAN');

    const again = await stack.query('mutation ($no: ID!) { evaluate(businessNo: $no, score: 1) { score } }', { no });
    expect(again.errors?.[0]?.extensions?.code).toBe('CASE.ALREADY_EVALUATED');
  });

  it('derives the scope from the windows: reverse 川渝通办, 跨区县通办 and 省内通办', async () => {
    at('2025-11-24T11:00:00+08:00');
    const reverse = (await receiveAt('W-510000-01', CHONGQING_ITEM)).receiveApplication;
    expect(reverse.case).toMatchObject({ scope: 'SICHUAN_CHONGQING', jurisdictionWindow: { id: 'W-500000-01' } });
    expect(reverse.businessNo).toMatch(/^TB20251124510000\d{5}$/);

    const district = (await receiveAt('W-500101-01', CHONGQING_ITEM)).receiveApplication;
    expect(district.case).toMatchObject({ scope: 'CROSS_DISTRICT', jurisdictionWindow: { id: 'W-500000-01' } });

    const province = (await receiveAt('W-510100-01', ABA_ITEM)).receiveApplication;
    expect(province.case).toMatchObject({ scope: 'IN_PROVINCE', jurisdictionWindow: { id: 'W-513200-01' } });

    // Each goes the whole way: forwarded to the owning platform, decided there, result sent.
    const runs = [
      { notice: reverse, receiving: 'W-510000-01', jurisdiction: 'W-500000-01', platform: stack.yukuaiban },
      { notice: district, receiving: 'W-500101-01', jurisdiction: 'W-500000-01', platform: stack.yukuaiban },
      { notice: province, receiving: 'W-510100-01', jurisdiction: 'W-513200-01', platform: stack.sichuan },
    ] as const;
    for (const run of runs) {
      const no = run.notice.businessNo as string;
      at('2025-11-25T10:00:00+08:00');
      await scanMaterials(stack, no);
      await gql('mutation ($no: ID!) { dispatchMaterials(businessNo: $no, channel: ONLINE) { stage } }', { no }, staffAt(run.receiving));
      const platformCaseId = await until('the case forwarded', async () => (await stack.workflow.get(no)).platformCaseId);
      at('2025-11-26T10:00:00+08:00');
      for (let step = 0; step < 3; step++) await run.platform.advance(platformCaseId);
      await until('the decision', async () => (await stack.workflow.get(no)).stage === 'DECIDED');
      await gql(
        'mutation ($no: ID!) { recordResultDispatched(businessNo: $no, delivery: { method: PICKUP }) { stage } }',
        { no },
        staffAt(run.jurisdiction),
      );
      const kase = await caseOf(no, staffAt(run.receiving));
      expect([no, kase.stage, kase.clock.status, kase.clock.consumedWorkingDays]).toEqual([no, 'RESULT_DISPATCHED', 'STOPPED', 1]);
    }
    expect(stack.yukuaiban.cases().filter((c) => JSON.stringify(c).includes(reverse.businessNo))).toHaveLength(1);
  });

  it('issues a 一次性告知书 listing every defect, then a 收件通知书 once corrected', async () => {
    at('2025-11-24T14:00:00+08:00');
    const [first, second, ...rest] = allMaterials(SICHUAN_WATER);
    const handedIn = [{ ...first!, form: first!.form === 'COPY' ? ('ORIGINAL' as const) : ('COPY' as const) }, ...rest];
    const { receiveApplication: notice } = await gql(RECEIVE, { input: input('W-500000-01', SICHUAN_WATER, handedIn) });
    expect(notice.__typename).toBe('DeficiencyNotice');
    // Five working days after Monday 11-24.
    expect(notice.correctionDeadline).toBe('2025-12-01');
    expect(notice.deficiencies.map((d: { name: string; verdict: string }) => [d.name, d.verdict])).toEqual([
      [first!.name, 'DEFICIENT'],
      [second!.name, 'MISSING'],
    ]);
    expect(notice.case).toMatchObject({ stage: 'DEFICIENT', clock: null });

    const html = await (
      await fetch(`${stack.gateway.url}${notice.url}`, { headers: { authorization: `Bearer ${await stack.token(DEFAULT_CALLER)}` } })
    ).text();
    expect(html).toContain('一次性告知书');
    expect(html).toContain('2025年12月1日');

    at('2025-11-27T10:00:00+08:00');
    const corrected = await gql(
      `mutation ($no: ID!, $m: [MaterialInput!]!) { resubmitCorrections(businessNo: $no, materials: $m) { __typename id case { stage clock { consumedWorkingDays } notices { id kind } } } }`,
      { no: notice.businessNo, m: [first, second] },
    );
    expect(corrected.resubmitCorrections).toEqual({
      __typename: 'ReceiptNotice',
      id: 'N2',
      case: { stage: 'RECEIVED', clock: { consumedWorkingDays: 0 }, notices: [{ id: 'N1', kind: 'DEFICIENCY' }, { id: 'N2', kind: 'RECEIPT' }] },
    });
  });

  it('treats an application not corrected in time as abandoned', async () => {
    at('2025-11-24T15:00:00+08:00');
    const [, ...rest] = allMaterials(SICHUAN_WATER);
    const notice = (await gql(RECEIVE, { input: input('W-500000-01', SICHUAN_WATER, rest) })).receiveApplication;
    expect(notice.correctionDeadline).toBe('2025-12-01');

    at('2025-12-02T09:30:00+08:00');
    const late = await stack.query(
      'mutation ($no: ID!, $m: [MaterialInput!]!) { resubmitCorrections(businessNo: $no, materials: $m) { __typename } }',
      { no: notice.businessNo, m: allMaterials(SICHUAN_WATER) },
    );
    expect(late.errors?.[0]?.extensions?.code).toBe('CASE.CORRECTION_DEADLINE_PASSED');
    expect((await caseOf(notice.businessNo)).stage).toBe('ABANDONED');
  });

  it('stops the clock on 不予受理 and keeps the reasons', async () => {
    at('2025-11-24T16:00:00+08:00');
    const rejected = SICHUAN_CATALOG.find((item) => item.code === '510000-00002')!;
    const notice = (await gql(RECEIVE, { input: input('W-500000-01', rejected) })).receiveApplication;
    await scanMaterials(stack, notice.businessNo);
    await gql('mutation ($no: ID!) { dispatchMaterials(businessNo: $no, channel: BOTH) { stage } }', { no: notice.businessNo });
    const platformCaseId = await until('the case forwarded', async () => (await stack.workflow.get(notice.businessNo)).platformCaseId);
    at('2025-11-26T10:00:00+08:00');
    await stack.sichuan.advance(platformCaseId);
    const kase = await until('the case', async () => {
      const current = await caseOf(notice.businessNo);
      return current.stage === 'REFUSED' && current;
    });
    expect(kase.refusalReasons.length).toBeGreaterThan(0);
    expect(kase.clock).toMatchObject({ status: 'STOPPED' });
  });

  it('counts only working days: a pause across National Day and Mid-Autumn 2025', async () => {
    at('2025-09-30T10:00:00+08:00');
    const notice = (await gql(RECEIVE, { input: input('W-500000-01', SICHUAN_WATER) })).receiveApplication;
    const no = notice.businessNo as string;
    at('2025-09-30T16:00:00+08:00');
    await gql('mutation ($no: ID!) { dispatchMaterials(businessNo: $no, channel: OFFLINE) { stage } }', { no });
    await until('the case forwarded', async () => (await stack.workflow.get(no)).platformCaseId);

    // 10-01..10-08 are holidays; the jurisdiction receives the paper on Thursday 10-09.
    at('2025-10-09T10:00:00+08:00');
    await gql('mutation ($no: ID!) { confirmMaterialsReceived(businessNo: $no) { stage } }', { no }, { ...staffAt('W-510000-01', 'JURISDICTION_STAFF'), windowId: null });
    at('2025-10-11T11:00:00+08:00'); // Saturday 10-11 is a make-up working day
    const kase = await caseOf(no);
    // (09-30, 09-30] = 0 before the pause; (10-09, 10-11] = 10-10 and 10-11.
    expect(kase.clock).toMatchObject({ consumedWorkingDays: 2, paused: false });
    expect(kase.deadlines).toContainEqual(expect.objectContaining({ kind: 'PAPER_MAIL', dueAt: '2025-10-10T23:59:59+08:00' }));
  });

  it('refuses what it cannot accept, and writes nothing', async () => {
    at('2025-10-01T10:00:00+08:00');
    const keysBefore = await stack.keys('case:*');
    const closed = await stack.query(RECEIVE, { input: input('W-500000-01', SICHUAN_WATER) });
    expect(closed.errors?.[0]?.extensions?.code).toBe('WINDOW.CLOSED');
    expect(closed.errors?.[0]?.message).toMatch(/国庆.*下次办公时间：2025-10-09（周四）09:00/);

    at('2025-11-24T10:30:00+08:00');
    const cases: [Record<string, unknown>, string][] = [
      [{ ...input('W-500000-01', SICHUAN_WATER), itemCode: '510000-99999' }, 'ITEM.NOT_FOUND'],
      [{ ...input('W-500000-01', SICHUAN_WATER), applicant: { ...ORGANISATION, idNumber: '91350100M000100Y44' } }, 'INPUT.INVALID_USCC'],
      [{ ...input('W-500000-01', SICHUAN_WATER), applicant: { kind: 'PERSON', name: '王五', idNumber: '110105194912310021' } }, 'INPUT.INVALID_RESIDENT_ID'],
      [{ ...input('W-500000-01', SICHUAN_WATER), contact: { name: '赵工', phone: '12345' } }, 'INPUT.INVALID_PHONE'],
      [{ ...input('W-500000-01', SICHUAN_WATER), materials: [] }, 'INPUT.NO_MATERIALS'],
      [{ ...input('W-500000-01', SICHUAN_WATER), delivery: { method: 'MAIL' } }, 'INPUT.ADDRESS_REQUIRED'],
      [input('W-500101-01', ABA_PROVINCE_ONLY), 'CASE.SCOPE_NOT_OFFERED'],
      [{ ...input('W-500000-01', SICHUAN_WATER), windowId: 'W-NOPE' }, 'WINDOW.NOT_FOUND'],
    ];
    for (const [bad, code] of cases) {
      const result = await stack.as(staffAt(bad.windowId as string)).query(RECEIVE, { input: bad });
      expect([code, result.errors?.[0]?.extensions?.code]).toEqual([code, code]);
    }
    // Staff of one window cannot receive on another window's behalf.
    const elsewhere = await stack.query(RECEIVE, { input: input('W-510000-01', CHONGQING_ITEM) });
    expect(elsewhere.errors?.[0]?.extensions?.code).toBe('AUTH.FORBIDDEN');
    expect(await stack.keys('case:*')).toEqual(keysBefore);
  });

  it('returns the first case when the same request is sent twice', async () => {
    at('2025-11-24T11:30:00+08:00');
    const request = { ...input('W-500000-01', SICHUAN_WATER), requestKey: 'console-7f3a-0001' };
    const [a, b] = await Promise.all([gql(RECEIVE, { input: request }), gql(RECEIVE, { input: request })]);
    expect(a.receiveApplication.businessNo).toBe(b.receiveApplication.businessNo);
  });

  it('forwards exactly one platform case when the platform answers garbage and 5xx before succeeding', async () => {
    at('2025-11-25T10:00:00+08:00');
    const notice = (await gql(RECEIVE, { input: input('W-500000-01', SICHUAN_WATER) })).receiveApplication;
    // The platform takes the first scan but its answer is cut off, then it fails outright; the job retries with the same keys.
    await scanMaterials(stack, notice.businessNo);
    stack.sichuan.setFaults({ malformedRate: 1 });
    await gql('mutation ($no: ID!) { dispatchMaterials(businessNo: $no, channel: ONLINE) { stage } }', { no: notice.businessNo });
    await until('the scans at the platform', async () => stack.sichuan.files().some((file) => file.businessNo === notice.businessNo));
    stack.sichuan.setFaults({ errorRate: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    stack.sichuan.setFaults({});
    await until('the case forwarded', async () => (await stack.workflow.get(notice.businessNo)).platformCaseId, 20_000);
    expect(stack.sichuan.cases().filter((c) => c.businessNo === notice.businessNo)).toHaveLength(1);
    const files = stack.sichuan.files().filter((file) => file.businessNo === notice.businessNo);
    expect(files).toHaveLength(new Set(files.map((file) => file.sha256)).size);
    expect(files).toHaveLength(SICHUAN_WATER.materials.length);
    const events = (await caseOf(notice.businessNo)).timeline.map((e: { type: string }) => e.type);
    expect(events.filter((type: string) => type === 'FORWARDED_TO_PLATFORM')).toHaveLength(1);
  }, 30_000);
});
