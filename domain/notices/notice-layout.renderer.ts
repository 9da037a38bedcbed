import { html, markupOf, type HtmlValue, type SafeHtml } from './html.template.js';
import { NOTICE_STYLES } from './notice.styles.js';
import { formatHour, scopeWording } from './notice-text.formatter.js';
import type { NoticeData } from './notice.types.js';

export interface NoticeBody {
  /** 收件通知书 or 一次性告知书. */
  readonly noticeName: string;
  /** The count sentence that opens the materials cell. */
  readonly intro: string;
  /** One numbered line per material, e.g. "1.营业执照：复印件1份。". */
  readonly lines: readonly string[];
  /** The form's fixed paragraph below the materials. */
  readonly paragraph: string;
}

/** Full-width characters per line of the materials cell (176 mm at 10.5 pt). */
const CHARS_PER_LINE = 46;
/**
 * Lines the materials cell can take at 10.5 pt with the rest of the form on the
 * same A4 page. Longer lists are set at 9 pt, which is still legible on paper,
 * rather than spilling one copy over two sheets.
 */
const LINES_AT_NORMAL_SIZE = 18;

const SAMPLE_MARK = '（示例）';
const SAMPLE_REMARK = '备注：本事项的法定时限、承诺期限和材料清单为示例数据，不是官方办事指南，不作为办理依据。';

/** Blank for the applicant to fill in by hand when signing. */
const HANDWRITTEN_DATE = '　　年　　月　　日　　时';

/**
 * The frame both forms share: three identical copies, one per page, each headed by
 * who keeps it. Every value goes through `html`, which escapes it.
 */
export function renderNoticeDocument(data: NoticeData, body: NoticeBody): string {
  const wording = scopeWording(data.scope);
  const title = `${wording.titlePrefix}${body.noticeName}`;
  const keepers = ['申请人留存', `收件地${wording.window}留存`, `属地${wording.window}留存`];
  const subtitle = `(一式3份，申请人1份、收件地${wording.window}留存1份、属地${wording.window}留存1份)`;
  const copies = keepers.map((keeper, i) => renderCopy(data, body, { title, subtitle, window: wording.window, keeper, number: i + 1 }));

  return noticeDocument({ title: `${title}（${data.businessNo}）`, body: copies });
}

/**
 * The page around a notice's copies. The CSP keeps the document inert even if a
 * value ever slipped past escaping; `dataImages` lets in `data:` images only.
 */
export function noticeDocument(page: { title: string; body: HtmlValue; styles?: SafeHtml; dataImages?: boolean }): string {
  const csp = page.dataImages ? html`default-src 'none'; style-src 'unsafe-inline'; img-src data:` : html`default-src 'none'; style-src 'unsafe-inline'`;
  return markupOf(html`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title}</title>
<style>${NOTICE_STYLES}${page.styles ?? ''}</style>
</head>
<body>
<main>
${page.body}
</main>
</body>
</html>
`);
}

interface CopyHeading {
  readonly title: string;
  readonly subtitle: string;
  readonly window: string;
  readonly keeper: string;
  readonly number: number;
}

function renderCopy(data: NoticeData, body: NoticeBody, heading: CopyHeading): SafeHtml {
  const { window } = heading;
  const compact = estimatedLines(body) > LINES_AT_NORMAL_SIZE;
  return html`<section class="copy" data-copy="${heading.number}">
<p class="copy-label">第${heading.number}联<strong>${heading.keeper}</strong></p>
<h1 class="title">${heading.title}</h1>
<p class="subtitle">${heading.subtitle}</p>
<div class="meta"><span>业务编号：${data.businessNo}</span><span>申请时间：${formatHour(data.appliedAt)}</span></div>
<table class="form">
<colgroup><col class="col-label"><col class="col-contact"><col class="col-sub"><col class="col-days"><col class="col-sub"><col class="col-days"></colgroup>
<tbody>
<tr><th scope="row">收件地${window}名称</th><td colspan="5">${data.receivingWindow.name}</td></tr>
<tr><th scope="row">属地${window}名称</th><td colspan="5">${data.jurisdictionWindow.name}</td></tr>
<tr><th scope="row">申请人名称</th><td colspan="5">${data.applicantName}</td></tr>
<tr><th scope="row">申请事项名称</th><td colspan="5">${data.itemName}</td></tr>
<tr><th scope="row">法定事项名称</th><td colspan="5">${data.legalItemName}</td></tr>
<tr><th scope="row">申请联系人<br>联系电话</th><td>${data.contactName}<br>${data.contactPhone}</td><th scope="row">法定<br>时限</th><td class="days">${data.legalLimitDays}个工作日${data.sampleData ? SAMPLE_MARK : ''}</td><th scope="row">承诺<br>期限</th><td class="days">${data.promisedLimitDays}个工作日${data.sampleData ? SAMPLE_MARK : ''}</td></tr>
${data.sampleData ? html`<tr class="sample-remark"><td colspan="6">${SAMPLE_REMARK}</td></tr>` : ''}
<tr class="details-row"><td colspan="6" class="details${compact ? ' compact' : ''}"><p>${body.intro}</p>
<ol>${body.lines.map((line) => html`<li>${line}</li>`)}</ol></td></tr>
<tr><td colspan="6" class="paragraph">${body.paragraph}</td></tr>
<tr class="sign"><td colspan="3">经办人：${data.handler}</td><td colspan="3">申请人签名：<span class="blank"></span></td></tr>
<tr class="seal"><td colspan="3"><p class="stamp">（收件地行政审批服务专用章）</p><p class="date">${formatHour(data.issuedAt)}</p></td><td colspan="3"><p class="date">${HANDWRITTEN_DATE}</p></td></tr>
<tr><th scope="row">窗口电话</th><td colspan="5">${data.receivingWindow.phone}</td></tr>
</tbody>
</table>
</section>
`;
}

/** Latin letters and digits take about half the width of a Chinese character. */
function estimatedLines(body: NoticeBody): number {
  const width = (text: string) => [...text].reduce((sum, char) => sum + (char.charCodeAt(0) > 0xff ? 1 : 0.5), 0);
  return [body.intro, ...body.lines].reduce((sum, line) => sum + Math.max(1, Math.ceil(width(line) / CHARS_PER_LINE)), 0);
}
