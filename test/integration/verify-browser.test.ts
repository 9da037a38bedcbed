import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCertificatePdf } from '../../adapters/certificate.pdf.js';
import { formatVerificationCode, newVerificationCode, parseVerificationCode, type Certificate } from '../../domain/certificates/index.js';
import { CertificateStore } from '../../ledger/certificates/certificate.store.js';
import { ARTIFACTS, launchChromium } from '../support/browser.js';
import { certificateFixture } from '../support/certificate-fixture.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const SCREENSHOTS = 'docs/screenshots';
const NOW = new Date('2026-11-20T10:00:00+08:00');
const FONT = '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc';

/**
 * The verify page as a phone's browser shows it after a scan, in Debian's
 * Chromium, for each answer it gives; the screenshots are checked in. Then the
 * certificate PDF in Chromium's own viewer, whose glyphs FreeType draws.
 */
describe('the verify page in Chromium', () => {
  let stack: TestStack;
  let browser: Browser;
  const cases: { name: string; path: string; status: number; verdict: string; color: string; shows: string[] }[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ workers: false, now: () => NOW });
    const store = new CertificateStore(stack.redis);
    let serial = 100;
    const record = async (overrides: Partial<Certificate>) => {
      const cert = certificateFixture({ number: `川水质检乙〔2026〕第${String(++serial).padStart(4, '0')}号`, ...overrides });
      await store.record('TB2026010551000000042', cert);
      return cert;
    };
    const valid = await record({});
    const revoked = await record({ holderName: '欧阳小明' });
    await store.revoke({ code: revoked.verificationCode }, '以欺骗手段取得', '2026-10-08T09:00:00+08:00');
    const expired = await record({ holderName: '重庆渝水工程检测有限公司', holderIdNumber: '91350100M000100Y43', validUntil: '2026-06-30' });
    cases.push(
      { name: 'valid', path: `/verify/${formatVerificationCode(valid.verificationCode)}`, status: 200, verdict: '有效', color: 'rgb(10, 107, 45)', shows: [valid.number, valid.itemName, '张*三'] },
      { name: 'revoked', path: `/verify/${revoked.verificationCode}`, status: 200, verdict: '已撤销', color: 'rgb(176, 0, 32)', shows: [revoked.number, '欧**明'] },
      { name: 'expired', path: `/verify/${expired.verificationCode.toLowerCase()}`, status: 200, verdict: '已过期', color: 'rgb(176, 0, 32)', shows: [expired.number, '重庆渝水工程检测有限公司'] },
      { name: 'unknown', path: `/verify/${newVerificationCode()}`, status: 404, verdict: '未找到', color: 'rgb(85, 85, 85)', shows: [] },
      { name: 'malformed', path: '/verify/1234-5678', status: 400, verdict: '核验码无效', color: 'rgb(85, 85, 85)', shows: [] },
    );
    browser = await launchChromium();
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('shows each answer in words, styled under its CSP, and nothing it should not', async () => {
    for (const { name, path, status, verdict, color, shows } of cases) {
      const page = await browser.newPage({ viewport: { width: 414, height: 736 }, deviceScaleFactor: 2 });
      const refused: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
      });
      try {
        const response = await page.goto(`${stack.gateway.url}${path}`, { waitUntil: 'load' });
        expect(response?.status(), name).toBe(status);
        expect(await page.locator('.verdict').innerText()).toBe(verdict);
        // The inline style applies: its hash is the one the policy allows.
        expect(await page.locator('.verdict').evaluate((el) => getComputedStyle(el).color), name).toBe(color);
        expect(refused, name).toEqual([]);
        const text = await page.locator('body').innerText();
        for (const shown of shows) expect(text, name).toContain(shown);
        for (const hidden of ['张小三', '110101199003074514', 'TB2026010551000000042', '以欺骗手段取得', '四川省水利厅']) expect(text, name).not.toContain(hidden);
        await page.screenshot({ path: `${SCREENSHOTS}/verify-${name}.png`, fullPage: true });
      } finally {
        await page.close();
      }
    }
  });

  it.skipIf(!existsSync(FONT))('draws the certificate PDF with its Chinese text in the browser viewer', async () => {
    // A fixed code: the checked-in screenshot changes only when the certificate's layout does.
    const cert = certificateFixture({ number: '川水质检乙〔2026〕第0201号', verificationCode: parseVerificationCode('7K3M-Q9TX-4D2P-HW8R-C5NV') });
    const file = `${process.cwd()}/${ARTIFACTS}/certificate.pdf`;
    await writeFile(file, await renderCertificatePdf(cert, { verifyBaseUrl: stack.config.certificates.verifyBaseUrl, fontPath: FONT }));
    const page = await browser.newPage({ viewport: { width: 1000, height: 1350 } });
    try {
      await page.goto(`file://${file}`);
      // Chromium draws the ASCII fields in a font of its own when it refuses the embedded one, but not the Chinese title.
      let ink = 0;
      for (let attempt = 0; attempt < 20 && ink < 500; attempt++) {
        await page.waitForTimeout(500);
        ink = await textInk(browser, await page.screenshot());
      }
      expect(ink).toBeGreaterThanOrEqual(500);
      await page.screenshot({ path: `${SCREENSHOTS}/certificate-pdf.png` });
    } finally {
      await page.close();
    }
  });
});

/**
 * Near-black pixels of the title band of the rendered page, the white area
 * right of the thumbnails; counted on a canvas, so no image package is needed.
 */
async function textInk(browser: Browser, png: Buffer): Promise<number> {
  const page = await browser.newPage();
  try {
    return await page.evaluate(async (src) => {
      const image = new Image();
      image.src = src;
      await image.decode();
      const canvas = document.createElement('canvas');
      [canvas.width, canvas.height] = [image.width, image.height];
      const context = canvas.getContext('2d')!;
      context.drawImage(image, 0, 0);
      const { data, width, height } = context.getImageData(0, 0, image.width, image.height);
      const rgb = (x: number, y: number) => [0, 1, 2].map((c) => data[(y * width + x) * 4 + c]!);
      let [left, right, top, bottom] = [width, 0, height, 0];
      for (let y = 0; y < height; y += 2) {
        for (let x = Math.round(width * 0.32); x < width; x += 2) {
          if (!rgb(x, y).every((v) => v > 245)) continue;
          [left, right, top, bottom] = [Math.min(left, x), Math.max(right, x), Math.min(top, y), Math.max(bottom, y)];
        }
      }
      if (right - left < width * 0.4) return 0;
      let ink = 0;
      // The title, 电子证照 at 30 pt, alone in this band: a refused font's fallback draws Latin text only.
      for (let y = Math.round(top + (bottom - top) * 0.07); y < top + (bottom - top) * 0.17; y++) {
        for (let x = left; x <= right; x++) if (rgb(x, y).every((v) => v < 90)) ink++;
      }
      return ink;
    }, `data:image/png;base64,${png.toString('base64')}`);
  } finally {
    await page.close();
  }
}
