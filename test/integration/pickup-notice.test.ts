import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { launchChromium } from '../support/browser.js';
import { application, until } from '../support/process.kit.js';
import { scanMaterials } from '../support/scans.kit.js';
import { staffAt, startTestStack, type TestStack } from '../support/stack.js';

/**
 * 领取通知 (#17) through the gateway: a case whose result waits at the receiving
 * window prints one, naming the e-certificate the platform issued and carrying
 * the QR code of its verify page, under the rules of the other notices.
 */
const ITEM = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const RECEIVING = staffAt('W-500000-01');
const JURISDICTION = staffAt('W-510000-01', 'JURISDICTION_STAFF');
const SUPERVISOR = { subject: 'sup-cq', role: 'SUPERVISOR' as const, region: 'CHONGQING' as const, windowId: null };
const SCREENSHOTS = 'docs/screenshots';

const PICKUP = 'query ($no: ID!) { case(businessNo: $no) { pickupNotice { businessNo url printUrl html } result { certificate { number verifyUrl validUntil } } } }';

describe('pickup notice through the gateway', () => {
  let stack: TestStack;
  const now = new Date('2025-11-24T10:00:00+08:00');
  let no: string;

  const pickupNotice = async (caller = RECEIVING) => stack.as(caller).query<any>(PICKUP, { no });
  const mutate = async (caller: typeof RECEIVING, mutation: string) => {
    const result = await stack.as(caller).query<any>(`mutation ($no: ID!) { ${mutation} { stage } }`, { no });
    expect(result.errors).toBeUndefined();
  };

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now });
    ({ businessNo: no } = (await stack.workflow.receiveApplication(application(ITEM, RECEIVING.windowId!, 'pickup-notice'), 'test')).record);
    await scanMaterials(stack, no);
    await stack.workflow.dispatchMaterials(no, 'ONLINE', 'test');
    const platformCaseId = await until('the case forwarded', async () => (await stack.workflow.get(no)).platformCaseId, 20_000);
    const early = await pickupNotice();
    expect(early.errors).toBeUndefined();
    expect(early.data.case.pickupNotice).toBeNull();
    // The platform decides and issues; its push of 出件 brings the certificate in.
    await until('the certificate', async () => {
      await stack.sichuan.advance(platformCaseId);
      return (await stack.workflow.get(no)).certificate;
    }, 20_000);
    await mutate(JURISDICTION, 'recordResultDispatched(businessNo: $no, delivery: { method: PICKUP })');
    expect((await pickupNotice()).data.case.pickupNotice).toBeNull();
    await mutate(RECEIVING, 'recordResultAtWindow(businessNo: $no)');
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  });

  const audit = async () =>
    (await stack.as(SUPERVISOR).query<any>('query ($no: ID!) { auditLog(businessNo: $no) { actor purpose note } }', { no })).data.auditLog.filter(
      (entry: { note: string }) => entry.note === 'pickup',
    );

  it('prints the window, the certificate and its verify URL, audited; not for a supervisor, who may not reveal the applicant', async () => {
    const { data, errors } = await pickupNotice();
    expect(errors).toBeUndefined();
    const { pickupNotice: notice, result } = data.case;
    expect(notice.url).toBe(`/notices/${no}/pickup`);
    expect(notice.printUrl.startsWith(`${notice.url}?`)).toBe(true);
    const directory = (await stack.as(RECEIVING).query<any>('{ window(id: "W-500000-01") { name address } }')).data.window;
    for (const text of ['领取通知', `业务编号：${no}`, '某某工程检测有限公司 pickup-notice', ITEM.name, directory.name, directory.address, '有效身份证件', result.certificate.number]) {
      expect(notice.html).toContain(text);
    }
    expect(notice.html).toContain(`<p class="verify-url">${result.certificate.verifyUrl}</p>`);
    expect(notice.html).toMatch(/<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="电子证照核验二维码">/);
    expect(await audit()).toEqual([{ actor: `WINDOW_STAFF:${RECEIVING.subject}`, purpose: 'PRINT_NOTICE', note: 'pickup' }]);

    const supervised = await pickupNotice(SUPERVISOR);
    expect(supervised.data?.case?.pickupNotice).toBeFalsy();
    expect(supervised.errors?.map((error) => error.extensions?.code)).toContain('AUTH.FORBIDDEN');
    expect(await audit()).toHaveLength(1);
  });

  it('serves the notice at its path to a bearer token, 404 for a case with none, and prints it after the pickup too', async () => {
    const token = await stack.token(RECEIVING);
    const open = (path: string, bearer = token) => fetch(`${stack.gateway.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
    const page = await open(`/notices/${no}/pickup`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data:image/svg+xml;base64,');
    expect((await open(`/notices/${no}/pickup`, await stack.token(SUPERVISOR))).status).toBe(403);

    const other = (await stack.workflow.receiveApplication(application(ITEM, RECEIVING.windowId!, 'pending'), 'test')).record.businessNo;
    const missing = await open(`/notices/${other}/pickup`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('NOTICE.NOT_FOUND');

    await mutate(RECEIVING, 'recordDelivered(businessNo: $no)');
    expect((await open(`/notices/${no}/pickup`)).status).toBe(200);
    expect((await pickupNotice()).data.case.pickupNotice.url).toBe(`/notices/${no}/pickup`);
  });

  it('opens from printUrl in Chromium with the QR code drawn, nothing fetched from anywhere', async () => {
    const { printUrl } = (await pickupNotice()).data.case.pickupNotice;
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage({ viewport: { width: 1000, height: 1200 } });
      const requested: string[] = [];
      tab.on('request', (request) => requested.push(request.url()));
      expect((await tab.goto(`${stack.gateway.url}${printUrl}`, { waitUntil: 'load' }))?.status()).toBe(200);
      const qr = tab.locator('td.qr img');
      expect(await qr.isVisible()).toBe(true);
      // The CSP lets the data: image in; a blank or broken one would be all white or have no size.
      const darkShare = await qr.evaluate((img: HTMLImageElement) => {
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        const context = canvas.getContext('2d')!;
        context.drawImage(img, 0, 0);
        const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
        let dark = 0;
        for (let i = 0; i < pixels.length; i += 4) if (pixels[i + 3]! > 128 && pixels[i]! < 128) dark += 1;
        return img.naturalWidth > 0 ? dark / (pixels.length / 4) : 0;
      });
      expect(darkShare).toBeGreaterThan(0.2);
      expect(darkShare).toBeLessThan(0.8);
      expect(requested.filter((url) => !url.startsWith('data:'))).toEqual([`${stack.gateway.url}${printUrl}`]);
      const pdf = await tab.pdf({ preferCSSPageSize: true, printBackground: true });
      expect(pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g)).toHaveLength(1);
      await mkdir(SCREENSHOTS, { recursive: true });
      await tab.screenshot({ path: `${SCREENSHOTS}/pickup-notice.png`, fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
