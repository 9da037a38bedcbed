import type { OfficeHours, TimeRange, Weekday } from '../hours/index.js';
import { html, type SafeHtml } from './html.template.js';
import { InvalidNoticeError } from './notice.errors.js';
import { noticeDocument } from './notice-layout.renderer.js';
import { formatHour, scopeWording } from './notice-text.formatter.js';
import type { PickupNoticeCertificate, PickupNoticeData } from './notice.types.js';

const NOTICE_NAME = '领取通知';
const QR_PREFIX = 'data:image/svg+xml;base64,';
/** Only base64 after the prefix: nothing that could close the attribute or name another scheme. */
const QR_DATA_URI = /^data:image\/svg\+xml;base64,[A-Za-z0-9+/]+={0,2}$/;

const WEEKDAYS: readonly [Weekday, string][] = [
  ['mon', '周一'],
  ['tue', '周二'],
  ['wed', '周三'],
  ['thu', '周四'],
  ['fri', '周五'],
  ['sat', '周六'],
  ['sun', '周日'],
];

const PICKUP_STYLES = html`
.form td.bring { height: 28mm; vertical-align: top; }
.form td.bring ol { margin: 0; padding-left: 1.5em; }
.form td.qr { text-align: center; vertical-align: middle; }
.form td.qr img { display: block; width: 40mm; height: 40mm; margin: 0 auto 1mm; }
.verify-url { word-break: break-all; font-family: monospace; font-size: 9pt; }
`;

/**
 * 领取通知 as one printable A4 page the applicant keeps: where and when to collect
 * the result, what to bring and, with an e-certificate, the QR code of its public
 * verify page (the same URL the certificate's own QR code opens). The QR code comes
 * in as a data URI because the domain draws no images; the CSP lets the page show
 * `data:` images and nothing else from anywhere.
 */
export function renderPickupNotice(data: PickupNoticeData): string {
  if (data.certificate) validateCertificate(data.certificate);
  const { titlePrefix, window } = scopeWording(data.scope);
  const title = `${titlePrefix}${NOTICE_NAME}`;
  const receiving = data.receivingWindow;
  const copy = html`<section class="copy" data-copy="1">
<p class="copy-label"><strong>申请人留存</strong></p>
<h1 class="title">${title}</h1>
<div class="meta"><span>业务编号：${data.businessNo}</span><span>通知时间：${formatHour(data.issuedAt)}</span></div>
<table class="form">
<colgroup><col class="col-label"><col></colgroup>
<tbody>
<tr><th scope="row">申请人名称</th><td>${data.applicantName}</td></tr>
<tr><th scope="row">申请联系人<br>联系电话</th><td>${data.contactName}<br>${data.contactPhone}</td></tr>
<tr><th scope="row">申请事项名称</th><td>${data.itemName}</td></tr>
<tr><td colspan="2" class="paragraph">您申请办理的事项已办结，办理结果已送达收件地${window}，请于窗口办公时间前往领取。</td></tr>
<tr><th scope="row">领取地点</th><td>${receiving.name}<br>${receiving.address}</td></tr>
<tr><th scope="row">办公时间</th><td>${receiving.hours ? hoursWording(receiving.hours) : '请致电窗口确认'}</td></tr>
<tr><th scope="row">窗口电话</th><td>${receiving.phone}</td></tr>
<tr><th scope="row">领取时请携带</th><td class="bring"><ol><li>申请人或委托代理人的有效身份证件（代理人另携授权委托书）；</li><li>本领取通知。</li></ol></td></tr>
${data.certificate ? certificateRows(data.certificate) : ''}
</tbody>
</table>
</section>
`;
  return noticeDocument({ title: `${title}（${data.businessNo}）`, body: copy, styles: PICKUP_STYLES, dataImages: true });
}

function certificateRows(certificate: PickupNoticeCertificate): SafeHtml {
  const validity = certificate.validUntil ? `有效期至 ${certificate.validUntil}` : '长期有效';
  return html`<tr><th scope="row">电子证照编号</th><td>${certificate.number}（${validity}）</td></tr>
<tr class="certificate"><th scope="row">证照核验</th><td class="qr"><img src="${certificate.qrDataUri}" alt="电子证照核验二维码"><p>扫描二维码或访问以下网址核验电子证照真伪：</p><p class="verify-url">${certificate.verifyUrl}</p></td></tr>
`;
}

function validateCertificate(certificate: PickupNoticeCertificate): void {
  const issues: string[] = [];
  if (!certificate.number.trim()) issues.push('电子证照编号为空');
  if (!QR_DATA_URI.test(certificate.qrDataUri)) issues.push(`核验二维码须为 ${QR_PREFIX}… 形式的 SVG 图像`);
  if (!/^https?:\/\//.test(certificate.verifyUrl)) issues.push('核验网址须以 http:// 或 https:// 开头');
  if (issues.length > 0) throw new InvalidNoticeError(NOTICE_NAME, issues);
}

/** "周一至周五 09:00-12:00、13:30-17:30；周六、周日休息；法定节假日休息": consecutive days with the same hours read as one span. */
export function hoursWording(hours: OfficeHours): string {
  const groups: { days: string[]; ranges: readonly TimeRange[] }[] = [];
  for (const [day, label] of WEEKDAYS) {
    const last = groups.at(-1);
    if (last && sameRanges(last.ranges, hours[day])) last.days.push(label);
    else groups.push({ days: [label], ranges: hours[day] });
  }
  const parts = groups.map(({ days, ranges }) => `${daySpan(days)}${ranges.length ? ` ${rangesWording(ranges)}` : '休息'}`);
  const holiday = hours.holidayHours?.length ? `法定节假日 ${rangesWording(hours.holidayHours)}` : '法定节假日休息';
  return [...parts, holiday].join('；');
}

function daySpan(days: readonly string[]): string {
  if (days.length === 1) return days[0]!;
  if (days.length === 2) return days.join('、');
  return `${days[0]}至${days.at(-1)}`;
}

function rangesWording(ranges: readonly TimeRange[]): string {
  return ranges.map(([start, end]) => `${start}-${end}`).join('、');
}

function sameRanges(a: readonly TimeRange[], b: readonly TimeRange[]): boolean {
  return a.length === b.length && a.every(([start, end], i) => start === b[i]![0] && end === b[i]![1]);
}
