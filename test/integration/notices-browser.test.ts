import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  renderDeficiencyNotice,
  renderReceiptNotice,
  type DeficiencyNoticeData,
  type NoticeMaterialForm,
  type ReceiptNoticeData,
} from '../../domain/notices/index.js';
import { ARTIFACTS, launchChromium } from '../support/browser.js';


/** Eight materials, the most the layout promises to fit on one A4 page per copy. */
const MATERIALS: { name: string; form: NoticeMaterialForm; copies: number }[] = [
  { name: '水利工程质量检测单位资质等级申请表', form: 'ORIGINAL', copies: 1 },
  { name: '营业执照（统一社会信用代码 91500000MA5U0000X1）', form: 'COPY', copies: 1 },
  { name: '法定代表人身份证明', form: 'ORIGINAL_AND_COPY', copies: 1 },
  { name: '技术负责人职称证书及从事水利工程质量检测工作经历证明', form: 'ORIGINAL_AND_COPY', copies: 2 },
  { name: '检测人员名单及水利工程质量检测员职业资格证书', form: 'COPY', copies: 1 },
  { name: '主要检测仪器设备清单及计量检定或校准证书', form: 'ELECTRONIC', copies: 1 },
  { name: '质量保证体系文件', form: 'ORIGINAL', copies: 1 },
  { name: '检测场所产权证明或租赁合同', form: 'COPY', copies: 1 },
];

const receipt: ReceiptNoticeData = {
  businessNo: 'TB2025112450000000012',
  appliedAt: '2025-11-24T09:30:00+08:00',
  scope: 'SICHUAN_CHONGQING',
  receivingWindow: { name: '重庆市政务服务中心水利局“川渝通办”窗口', phone: '023-63211234' },
  jurisdictionWindow: { name: '四川省政务服务中心水利厅“川渝通办”窗口' },
  applicantName: '重庆渝水工程检测有限公司<script>window.injected = true</script>',
  itemName: '水利工程质量检测单位乙级资质认定（川渝通办）',
  legalItemName: '水利工程质量检测单位资质认定',
  contactName: '李明',
  contactPhone: '13812345678',
  legalLimitDays: 20,
  promisedLimitDays: 10,
  sampleData: false,
  handler: '王芳',
  materials: MATERIALS,
  issuedAt: '2025-11-24T10:05:00+08:00',
};

const deficiency: DeficiencyNoticeData = {
  ...receipt,
  businessNo: 'TB2025112450000000013',
  materials: MATERIALS.map((material, i) => {
    if (i === 1) {
      return { ...material, verdict: 'DEFICIENT', opinion: '复印件不清晰且未加盖单位公章，请提供清晰的营业执照复印件并加盖单位公章' };
    }
    if (i === 3) {
      return { ...material, copies: 1, verdict: 'DEFICIENT', opinion: '份数不足，应为原件2份，复印件2份；从事检测工作经历证明需由原工作单位出具并盖章' };
    }
    if (i === 6) return { ...material, copies: 0, verdict: 'MISSING', opinion: '请提交质量保证体系文件原件1份，须经法定代表人签字' };
    return { ...material, verdict: 'QUALIFIED' };
  }),
  correctionDeadline: '2025-12-01',
  correctionWorkingDays: 5,
};

/** The worst case the layout promises: eight materials, each with a long opinion. */
const LONG_OPINION = '复印件不清晰且未加盖单位公章，请提供清晰的复印件并加盖单位公章，同时提交原件核验，原件核验后当场退还';
const crowded: DeficiencyNoticeData = {
  ...deficiency,
  // The sample-data remark takes a row of its own: the worst case carries it too.
  sampleData: true,
  scope: 'IN_PROVINCE',
  jurisdictionWindow: { name: '阿坝藏族羌族自治州政务服务中心水务局“省内通办”窗口（综合受理窗口，无差别受理）' },
  materials: MATERIALS.map((material, i) => ({
    ...material,
    copies: 2,
    verdict: i % 3 === 0 ? 'MISSING' : 'DEFICIENT',
    opinion: LONG_OPINION,
  })),
};

const documents = new Map([
  ['/receipt', renderReceiptNotice(receipt)],
  ['/deficiency', renderDeficiencyNotice(deficiency)],
  ['/crowded', renderDeficiencyNotice(crowded)],
]);

/** Chromium's PDF writer emits one uncompressed page dictionary per page. */
function pdfPageCount(pdf: Buffer): number {
  return pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g)?.length ?? 0;
}

/** A4 is 595.28 × 841.89 pt; Chromium rounds to whole CSS pixels. */
function pdfMediaBoxes(pdf: Buffer): string[] {
  return [...pdf.toString('latin1').matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)].map(([, width, height]) =>
    Math.abs(Number(width) - 595.28) < 1.5 && Math.abs(Number(height) - 841.89) < 1.5 ? 'A4' : `${width}×${height}`,
  );
}

describe('notices in a real browser', () => {
  let server: Server;
  let baseUrl = '';
  let browser: Browser;
  const requested: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      requested.push(req.url ?? '');
      const body = documents.get(req.url ?? '');
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1000, height: 1200 } });
    page.on('dialog', (dialog) => {
      throw new Error(`the notice opened a dialog: ${dialog.message()}`);
    });
    requested.length = 0;
    await page.goto(`${baseUrl}${path}`, { waitUntil: 'load' });
    return page;
  }

  for (const [path, businessNo, artifact] of [
    ['/receipt', receipt.businessNo, 'notice-receipt.png'],
    ['/deficiency', deficiency.businessNo, 'notice-deficiency.png'],
  ] as const) {
    it(`${path}: shows the case, three copies, one A4 page each, nothing fetched or run`, async () => {
      const page = await open(path);
      try {
        const text = await page.locator('body').innerText();
        expect(text).toContain(`业务编号：${businessNo}`);
        expect(text).toContain('重庆渝水工程检测有限公司<script>window.injected = true</script>');
        expect(await page.evaluate(() => (globalThis as { injected?: boolean }).injected)).toBeUndefined();
        expect(await page.locator('section.copy').count()).toBe(3);
        expect(await page.locator('section.copy table.form').count()).toBe(3);
        expect(await page.locator('.copy-label strong').allInnerTexts()).toEqual([
          '申请人留存',
          '收件地“川渝通办”窗口留存',
          '属地“川渝通办”窗口留存',
        ]);
        // Only the document itself was requested: no fonts, images or styles from anywhere.
        expect(requested).toEqual([path]);
        expect(await page.locator('tr.sample-remark').count()).toBe(0);
        expect(text).not.toContain('示例');

        await page.screenshot({ path: `${ARTIFACTS}/${artifact}`, fullPage: true });

        const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
        expect(pdfPageCount(pdf)).toBe(3);
        expect(pdfMediaBoxes(pdf)).toEqual(['A4', 'A4', 'A4']);
      } finally {
        await page.close();
      }
    });
  }

  it('eight materials with long opinions still print one copy per A4 page', async () => {
    const page = await open('/crowded');
    try {
      expect(await page.locator('section.copy').count()).toBe(3);
      // Generated limits and materials say so, visibly, on every copy.
      const remarks = page.locator('tr.sample-remark');
      expect(await remarks.count()).toBe(3);
      for (const remark of await remarks.all()) {
        expect(await remark.isVisible()).toBe(true);
        expect(await remark.innerText()).toContain('示例数据，不是官方办事指南');
      }
      expect(await page.locator('td.days').first().innerText()).toBe('20个工作日（示例）');
      expect(await page.locator('.copy-label strong').allInnerTexts()).toEqual(['申请人留存', '收件地“通办”窗口留存', '属地“通办”窗口留存']);
      expect(pdfPageCount(await page.pdf({ preferCSSPageSize: true }))).toBe(3);
    } finally {
      await page.close();
    }
  });
});
