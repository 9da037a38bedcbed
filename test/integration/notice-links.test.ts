import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { launchChromium } from '../support/browser.js';
import { DEFAULT_CALLER, staffAt, startTestStack, type TestStack } from '../support/stack.js';

/**
 * Opening a notice in a browser, which sends no bearer header: Notice.printUrl
 * gives whoever may print it a link to that notice alone, for five minutes,
 * and every opening is audited as that caller's print.
 */
const ITEM = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const SUPERVISOR = { subject: 'sup-cq', role: 'SUPERVISOR' as const, region: 'CHONGQING' as const, windowId: null };

describe('notice print links', () => {
  let stack: TestStack;
  let now = new Date('2025-11-24T10:00:00+08:00');
  let businessNo: string;
  let printUrl: string;

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now });
    const received = await stack.query<{ receiveApplication: { businessNo: string; url: string; printUrl: string } }>(
      `mutation ($input: ReceiveApplicationInput!) { receiveApplication(input: $input) { businessNo url printUrl } }`,
      {
        input: {
          windowId: 'W-500000-01',
          itemCode: ITEM.code,
          handler: '李四',
          applicant: { kind: 'PERSON', name: '张三丰', idNumber: '11010519491231002X' },
          contact: { name: '张三丰', phone: '13812345678' },
          delivery: { method: 'PICKUP' },
          materials: ITEM.materials.map(({ name, form, copies }) => ({ name, form, copies })),
        },
      },
    );
    expect(received.errors).toBeUndefined();
    ({ businessNo, printUrl } = received.data!.receiveApplication);
    expect(printUrl.startsWith(`${received.data!.receiveApplication.url}?`)).toBe(true);
  });

  afterAll(async () => {
    await stack?.close();
  });

  const open = (path: string) => fetch(`${stack.gateway.url}${path}`);

  it('opens the notice in a browser with no token, and audits the print as the caller who asked', async () => {
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      const response = await tab.goto(`${stack.gateway.url}${printUrl}`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['referrer-policy']).toBe('no-referrer');
      const text = await tab.locator('body').innerText();
      expect(text).toContain(businessNo);
      expect(text).toContain('收件通知书');
      expect(text).toContain('张三丰');
    } finally {
      await browser.close();
    }
    const audit = await stack.as(SUPERVISOR).query<{ auditLog: { actor: string; purpose: string; note: string }[] }>(
      'query ($no: ID!) { auditLog(businessNo: $no) { actor purpose note } }',
      { no: businessNo },
    );
    expect(audit.data!.auditLog).toEqual([{ actor: `WINDOW_STAFF:${DEFAULT_CALLER.subject}`, purpose: 'PRINT_NOTICE', note: 'N1' }]);
  });

  it('refuses the bare path, an altered link, a link for another notice and an expired one', async () => {
    const bare = await open(printUrl.split('?')[0]!);
    expect(bare.status).toBe(401);
    expect((await bare.json()).error.message).toContain('Notice.printUrl');

    const altered = printUrl.replace(/by=[^&]+/, `by=${encodeURIComponent('WINDOW_STAFF:someone-else')}`);
    expect((await open(altered)).status).toBe(401);
    const otherNotice = printUrl.replace('/N1?', '/N2?');
    expect((await open(otherNotice)).status).toBe(401);
    const longer = printUrl.replace(/until=(\d+)/, (_, until: string) => `until=${Number(until) + 3_600_000}`);
    expect((await open(longer)).status).toBe(401);

    now = new Date(now.getTime() + 5 * 60_000 + 1);
    const expired = await open(printUrl);
    expect(expired.status).toBe(401);
    expect((await expired.json()).error.code).toBe('AUTH.NOTICE_LINK_INVALID');
  });

  it('gives no link to those who may not print the applicant', async () => {
    for (const caller of [SUPERVISOR, staffAt('W-500101-01')]) {
      const result = await stack.as(caller).query<{ case: { notices: { printUrl: string | null }[] } | null }>(
        'query ($no: ID!) { case(businessNo: $no) { notices { id printUrl } } }',
        { no: businessNo },
      );
      const forbidden = result.errors?.some((error) => error.extensions?.code === 'AUTH.FORBIDDEN') ?? false;
      const links = result.data?.case?.notices.map((notice) => notice.printUrl).filter(Boolean) ?? [];
      expect([forbidden || result.data?.case === null, links]).toEqual([true, []]);
    }
  });
});
