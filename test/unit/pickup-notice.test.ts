import { describe, expect, it } from 'vitest';
import { hoursWording, InvalidNoticeError, renderPickupNotice } from '../../domain/notices/index.js';
import { HOSTILE, pickupWith, pickupWithout, qrDataUri, VERIFY_CODE } from '../support/pickup-notice.fixture.js';

describe('pickup notice (领取通知)', () => {
  it('without a certificate: the case, the window, what to bring, and no QR code', () => {
    const page = renderPickupNotice(pickupWithout);
    expect(page).toContain('<h1 class="title">政务服务“川渝通办”领取通知</h1>');
    expect(page).toContain('业务编号：TB2025112450000000012');
    expect(page).toContain('通知时间：2025年12月1日10时');
    expect(page).toContain('水利工程质量检测单位乙级资质认定（川渝通办）');
    expect(page).toContain('重庆市渝北区青竹东路 6 号（重庆市政务服务中心 2 楼 B 区）');
    expect(page).toContain('周一至周五 09:00-12:00、13:30-17:30；周六 09:00-12:00；周日休息；法定节假日休息');
    expect(page).toContain('有效身份证件');
    expect(page).toContain('本领取通知');
    expect(page).not.toContain('data:image');
    expect(page).not.toContain('<img');
    expect(page).not.toContain('电子证照编号');
  });

  it('with a certificate: its number, validity, the verify URL as text and its QR code as an image', async () => {
    const data = await pickupWith();
    const page = renderPickupNotice(data);
    expect(page).toContain('SL-2025-000123（有效期至 2030-12-01）');
    expect(page).toContain(`<p class="verify-url">https://tongban.example.gov.cn/verify/${VERIFY_CODE}</p>`);
    expect(page).toContain(`<img src="${data.certificate!.qrDataUri}"`);
    expect(page.match(/data:image\/svg\+xml;base64,/g)).toHaveLength(1);
    // The page lets in data: images and nothing else.
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(renderPickupNotice({ ...data, certificate: { ...data.certificate!, validUntil: null } })).toContain('SL-2025-000123（长期有效）');
  });

  it('escapes every value it prints', async () => {
    const data = await pickupWith();
    const page = renderPickupNotice({
      ...data,
      itemName: '"><img src=x onerror=alert(1)>',
      receivingWindow: { ...data.receivingWindow, name: "窗口'<b>", address: '&lt;已转义&gt;' },
      certificate: { ...data.certificate!, number: '<svg onload=alert(1)>' },
    });
    expect(page).not.toContain('<script>');
    expect(page).toContain('重庆渝水工程检测有限公司&lt;script&gt;window.injected = true&lt;/script&gt;');
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('窗口&#39;&lt;b&gt;');
    expect(page).toContain('&amp;lt;已转义&amp;gt;');
    expect(page).toContain('&lt;svg onload=alert(1)&gt;');
    expect(page).not.toContain(HOSTILE);
  });

  it('refuses a QR code that is not a base64 SVG data URI, and a verify URL that is not http(s)', async () => {
    const data = await pickupWith();
    const good = data.certificate!;
    for (const qrDataUri of [
      'https://evil.example/qr.svg',
      'data:text/html;base64,PHNjcmlwdD4=',
      'data:image/svg+xml;utf8,<svg onload=alert(1)>',
      `${good.qrDataUri}" onerror="alert(1)`,
      'data:image/svg+xml;base64,',
    ]) {
      expect(() => renderPickupNotice({ ...data, certificate: { ...good, qrDataUri } })).toThrow(InvalidNoticeError);
    }
    const error = (() => {
      try {
        renderPickupNotice({ ...data, certificate: { ...good, number: ' ', verifyUrl: 'javascript:alert(1)' } });
      } catch (caught) {
        return caught as InvalidNoticeError;
      }
    })();
    expect(error?.code).toBe('INPUT.INVALID_NOTICE');
    expect(error?.issues).toEqual(['电子证照编号为空', '核验网址须以 http:// 或 https:// 开头']);
    expect(() => renderPickupNotice({ ...data, certificate: { ...good, qrDataUri: `${good.qrDataUri.slice(0, 40)}==` } })).not.toThrow();
    expect(await qrDataUri()).toBe(good.qrDataUri);
  });

  it('words the hours as the directory has them, a window gone from it with none invented', () => {
    const open = [['08:30', '17:00']] as const;
    expect(hoursWording({ mon: open, tue: open, wed: [], thu: open, fri: open, sat: open, sun: open, holidayHours: [['09:00', '12:00']] })).toBe(
      '周一、周二 08:30-17:00；周三休息；周四至周日 08:30-17:00；法定节假日 09:00-12:00',
    );
    const page = renderPickupNotice({ ...pickupWithout, receivingWindow: { ...pickupWithout.receivingWindow, hours: null } });
    expect(page).toContain('<td>请致电窗口确认</td>');
  });
});
