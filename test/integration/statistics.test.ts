import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import type { Caller } from '../../lib/auth/caller.js';
import { ARTIFACTS, launchChromium } from '../support/browser.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { scanMaterials } from '../support/scans.kit.js';

const WATER = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const MINING = SICHUAN_CATALOG.find((item) => item.code === '510000-00002')!;
const SUPERVISOR_SC: Caller = { subject: 'sup-sc', role: 'SUPERVISOR', region: 'SICHUAN', windowId: null };

describe('supervision statistics from counters', () => {
  let stack: TestStack;
  let now = new Date('2025-11-24T10:00:00+08:00');

  const receive = async (item: typeof WATER, complete = true) => {
    const materials = item.materials.map(({ name, form, copies }) => ({ name, form, copies }));
    const { record } = await stack.workflow.receiveApplication(
      {
        windowId: 'W-500000-01',
        itemCode: item.code,
        applicant: { kind: 'ORGANISATION', name: '某某有限公司', idNumber: '91350100M000100Y43' },
        contact: { name: '赵工', phone: '13812345678' },
        delivery: { method: 'PICKUP' },
        materials: complete ? materials : materials.slice(1),
        handler: '李四',
      },
      'test',
    );
    return record.businessNo;
  };

  const forwarded = async (no: string) => {
    await scanMaterials(stack, no);
    await stack.workflow.dispatchMaterials(no, 'ONLINE', 'test');
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      const record = await stack.workflow.get(no);
      if (record.platformCaseId) return record.platformCaseId;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('not forwarded');
  };

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now, sichuanRejects: [MINING.code] });

    // Finished in 3 working days and rated 5.
    const done = await receive(WATER);
    now = new Date('2025-11-25T10:00:00+08:00');
    await stack.workflow.dispatchMaterials(done, 'OFFLINE', 'test');
    now = new Date('2025-11-26T10:00:00+08:00');
    await stack.workflow.confirmMaterialsReceived(done, 'test');
    await stack.workflow.applyPlatformEvent(
      { eventId: 'd1', region: 'SICHUAN', platformCaseId: await waitForward(done), businessNo: done, stage: 'DECIDED', decision: 'APPROVED', reasons: [], at: now.toISOString() },
      'test',
    );
    now = new Date('2025-11-28T10:00:00+08:00');
    await stack.workflow.recordResultDispatched(done, { method: 'PICKUP' }, 'test');
    await stack.workflow.evaluate(done, 5, null, 'test');

    // One deficient application, one refusal rated 2.
    now = new Date('2025-11-24T11:00:00+08:00');
    await receive(WATER, false);
    const refused = await receive(MINING);
    const platformCaseId = await forwarded(refused);
    await stack.sichuan.advance(platformCaseId);
    for (const deadline = Date.now() + 10_000; (await stack.workflow.get(refused)).stage !== 'REFUSED'; ) {
      if (Date.now() > deadline) throw new Error('not refused');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await stack.workflow.evaluate(refused, 2, '材料要求不清楚', 'test');

    async function waitForward(no: string) {
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
        const record = await stack.workflow.get(no);
        if (record.platformCaseId) return record.platformCaseId;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('not forwarded');
    }
  });

  afterAll(async () => {
    await stack?.close();
  });

  const STATS = /* GraphQL */ `
    query ($p: PeriodInput!, $item: ID) {
      statistics(period: $p, itemCode: $item) {
        received deficient forwarded finished finishedWithinLimit finishedWithinLimitRate refused overdueNow
        evaluations goodEvaluations goodRate evaluationRate averageScore averageWorkingDays { receiving transfer jurisdiction }
        byPowerType { powerType received finished }
      }
    }
  `;

  it('counts a week of the region, and one item of it', async () => {
    const week = await stack.as(SUPERVISOR_SC).query(STATS, { p: { from: '2025-11-24', to: '2025-11-30' } });
    expect(week.errors).toBeUndefined();
    expect(week.data).toEqual({
      statistics: {
        received: 2,
        deficient: 1,
        forwarded: 2,
        finished: 2,
        finishedWithinLimit: 2,
        finishedWithinLimitRate: 1,
        refused: 1,
        overdueNow: 0,
        evaluations: 2,
        goodEvaluations: 1,
        goodRate: 0.5,
        // 办件评价率: both finished cases were rated.
        evaluationRate: 1,
        averageScore: 3.5,
        // Finished case: (11-24, 11-25] = 1 at the window, (11-25, 11-26] = 1 in transfer, (11-26, 11-28] = 2 at the
        // jurisdiction. The refused one was dispatched and accepted on the day it was received: 0 and 0.
        averageWorkingDays: { receiving: 0.5, transfer: 0.5, jurisdiction: 2 },
        byPowerType: [
          { powerType: 'LICENSING', received: 2, finished: 2 },
          { powerType: 'PUBLIC_SERVICE', received: 0, finished: 0 },
          { powerType: 'OTHER_POWERS', received: 0, finished: 0 },
        ],
      },
    });
    const byLevel = async (level: string, powerType: string) =>
      (
        await stack.as(SUPERVISOR_SC).query<{ statistics: { received: number } }>(
          'query ($p: PeriodInput!, $level: AdministrativeLevel, $type: PowerTypeCategory) { statistics(period: $p, level: $level, powerType: $type) { received } }',
          { p: { from: '2025-11-24', to: '2025-11-30' }, level, type: powerType },
        )
      ).data!.statistics.received;
    // Both items are 四川省 (510000) items, 行政许可.
    expect(await byLevel('PROVINCIAL', 'LICENSING')).toBe(2);
    expect(await byLevel('PREFECTURAL', 'LICENSING')).toBe(0);
    expect(await byLevel('PROVINCIAL', 'PUBLIC_SERVICE')).toBe(0);
    const item = await stack.as(SUPERVISOR_SC).query(STATS, { p: { from: '2025-11-24', to: '2025-11-30' }, item: MINING.code });
    expect(item.data).toMatchObject({ statistics: { received: 1, refused: 1, finished: 1, goodRate: 0, deficient: 0 } });
  });

  it('is for supervisors of the region and ops only', async () => {
    const other = await stack.as({ ...SUPERVISOR_SC, region: 'CHONGQING' }).query(
      'query ($p: PeriodInput!) { statistics(period: $p, region: SICHUAN) { received } }',
      { p: { from: '2025-11-24', to: '2025-11-30' } },
    );
    expect(other.errors?.[0]?.extensions?.code).toBe('AUTH.FORBIDDEN');
    const staff = await stack.query('query ($p: PeriodInput!) { statistics(period: $p) { received } }', { p: { from: '2025-11-24', to: '2025-11-30' } });
    expect(staff.errors?.[0]?.extensions?.code).toBe('AUTH.FORBIDDEN');
    const tooLong = await stack.as(SUPERVISOR_SC).query('query ($p: PeriodInput!) { statistics(period: $p) { received } }', { p: { from: '2024-01-01', to: '2025-11-30' } });
    expect(tooLong.errors?.[0]?.extensions?.code).toBe('INPUT.INVALID_PERIOD');
  });

  it('prints the 窗口工作周报 of the week, per department', async () => {
    const result = await stack.as(SUPERVISOR_SC).query<{ weeklyReport: string }>('{ weeklyReport(weekOf: "2025-11-26", region: SICHUAN) }');
    expect(result.errors).toBeUndefined();
    const page = result.data!.weeklyReport;
    expect(page).toContain('窗口工作周报');
    expect(page).toContain('本周受理通办件2件（另出具一次性告知书1件）');
    expect(page).toContain('办件评价率100.0%，好评率50.0%');
    expect(page).toMatch(/<td class="name">四川省水利厅<\/td><td>1<\/td>/);
    expect(page).toMatch(/<td class="name">四川省自然资源厅<\/td><td>1<\/td>/);

    const other = await stack.as({ ...SUPERVISOR_SC, region: 'CHONGQING' }).query('{ weeklyReport(weekOf: "2025-11-26", region: SICHUAN) }');
    expect(other.errors?.[0]?.extensions?.code).toBe('AUTH.FORBIDDEN');
  });

  it('serves the report as a printable page through the gateway, with SVG charts, for the region’s supervisors only', async () => {
    const url = `${stack.gateway.url}/reports/weekly/SICHUAN/2025-11-26`;
    const as = async (caller: Caller | null) =>
      fetch(url, caller ? { headers: { authorization: `Bearer ${await stack.token(caller)}` } } : {});
    expect((await as(null)).status).toBe(401);
    expect((await as({ subject: 'staff', role: 'WINDOW_STAFF', region: 'SICHUAN', windowId: 'W-510000-01' })).status).toBe(403);
    expect((await as({ subject: 'ops', role: 'OPS', region: 'SICHUAN', windowId: null })).status).toBe(403);
    expect((await as({ ...SUPERVISOR_SC, region: 'CHONGQING' })).status).toBe(403);
    const response = await as(SUPERVISOR_SC);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const page = await response.text();

    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      const fetched: string[] = [];
      tab.on('request', (request) => fetched.push(request.url()));
      await tab.route('**/*', (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: page }));
      await tab.goto('http://report.test/');
      const text = await tab.locator('body').innerText();
      // 2025-01-06 begins the series; no week of 2025 up to 11-24 was all holiday.
      expect(text).toContain('2025年第47期（总第47期）');
      // The period as seed 003 writes it: the working days of the week.
      expect(text).toContain('（11月24日—11月28日）');
      expect(text).toContain('2025年1月1日至2025年11月28日，省本级行政许可事项受理2件，办结2件；公共服务事项受理0件，办结0件，其它九类行权事项受理0件，累计办结0件。');

      const days = tab.locator('figure.chart-daily svg g.day');
      expect(await days.count()).toBe(7);
      const monday = tab.locator('figure.chart-daily g.day[data-date="2025-11-24"]');
      expect(await monday.locator('text').first().textContent()).toBe('2/1');
      const height = async (day: string, kind: string) =>
        (await tab.locator(`g.day[data-date="${day}"] rect.${kind}`).boundingBox())!.height;
      expect(await height('2025-11-24', 'received')).toBeGreaterThan(await height('2025-11-24', 'finished'));
      expect(await height('2025-11-25', 'received')).toBe(0);

      const departments = tab.locator('figure.chart-departments g.department');
      expect(await departments.count()).toBe(2);
      expect(await departments.allTextContents()).toEqual([expect.stringContaining('100.0%'), expect.stringContaining('100.0%')]);
      expect(await tab.locator('figure svg').first().isVisible()).toBe(true);
      // Nothing but the page itself: no scripts, fonts or chart libraries from anywhere.
      expect(fetched).toEqual(['http://report.test/']);
      expect(await tab.locator('script').count()).toBe(0);

      await tab.screenshot({ path: `${ARTIFACTS}/weekly-report.png`, fullPage: true });
      const pdf = await tab.pdf({ preferCSSPageSize: true });
      expect(pdf.subarray(0, 4).toString()).toBe('%PDF');
    } finally {
      await browser.close();
    }
  });
});
