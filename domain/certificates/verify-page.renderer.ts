import { createHash } from 'node:crypto';
import { html, markupOf } from '../notices/html.template.js';
import type { CertificateStatus } from './certificate.js';

export type VerificationStatus = CertificateStatus | 'UNKNOWN';

/** All the verify page tells anyone who scans a code: no id number, no business number, no dates beyond the verdict. */
export interface VerificationAnswer {
  status: VerificationStatus;
  number: string | null;
  itemName: string | null;
  /** Masked as publicHolderName() masks it. */
  holder: string | null;
}

/** MALFORMED is a page only: a code that cannot be one, answered 400 without a lookup. */
type PageStatus = VerificationStatus | 'MALFORMED';

const VERDICTS: Record<PageStatus, { word: string; note: string; tone: string }> = {
  VALID: { word: '有效', note: '该电子证照由发证机关签发，目前有效。', tone: 'valid' },
  REVOKED: { word: '已撤销', note: '该电子证照已被发证机关撤销，不再具有效力。', tone: 'void' },
  EXPIRED: { word: '已过期', note: '该电子证照已超过有效期，不再具有效力。', tone: 'void' },
  UNKNOWN: { word: '未找到', note: '未找到与该核验码对应的电子证照，请核对核验码或向发证机关咨询。', tone: 'unknown' },
  MALFORMED: { word: '核验码无效', note: '核验码应为 20 位字母数字（可按 4 位分组），请核对后重新输入或重新扫码。', tone: 'unknown' },
};

/** The font stacks of the printed notices (domain/notices/notice.styles.ts), for a screen. */
const STYLES = html`
* { box-sizing: border-box; }
body { margin: 0; background: #d9d9d9; color: #000; font-family: "SimSun", "宋体", "Songti SC", "Noto Serif CJK SC", "Source Han Serif SC", "Noto Serif SC", serif; font-size: 16px; line-height: 1.6; }
main { max-width: 40em; margin: 8vh auto; padding: 2em 2.5em; background: #fff; box-shadow: 0 2px 8px rgba(0, 0, 0, 0.3); }
h1 { margin: 0 0 0.2em; text-align: center; font-family: "SimHei", "黑体", "Heiti SC", "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", sans-serif; font-size: 1.6em; letter-spacing: 0.05em; }
.subtitle { margin: 0 0 1.2em; text-align: center; font-size: 0.9em; }
.verdict { margin: 0 0 0.4em; padding: 0.4em; border: 2px solid; text-align: center; font-family: "SimHei", "黑体", "Heiti SC", "Noto Sans CJK SC", sans-serif; font-size: 1.8em; font-weight: bold; }
.valid { color: #0a6b2d; } .void { color: #b00020; } .unknown { color: #555; }
.note { margin: 0 0 1em; text-align: center; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { border: 1px solid #000; padding: 0.4em 0.6em; }
th { width: 30%; font-weight: normal; text-align: center; }
footer { margin-top: 1.2em; font-size: 0.8em; color: #333; }
`;

/**
 * The policy the page is served with: nothing but its own inline style, named
 * by hash, and no framing, forms, scripts or outgoing requests.
 */
export const VERIFY_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(markupOf(STYLES)).digest('base64')}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function renderVerifyPage(answer: VerificationAnswer | { status: 'MALFORMED' }): string {
  const verdict = VERDICTS[answer.status];
  const rows =
    answer.status === 'UNKNOWN' || answer.status === 'MALFORMED'
      ? []
      : [
          html`<tr><th>证照编号</th><td class="number">${answer.number ?? ''}</td></tr>`,
          html`<tr><th>证照名称（事项）</th><td class="item">${answer.itemName ?? ''}</td></tr>`,
          html`<tr><th>持证主体</th><td class="holder">${answer.holder ?? ''}</td></tr>`,
        ];
  return markupOf(html`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>电子证照核验 · ${verdict.word}</title>
<style>${STYLES}</style>
</head>
<body>
<main>
<h1>电子证照核验</h1>
<p class="subtitle">川渝通办</p>
<p class="verdict ${verdict.tone}" data-status="${answer.status}">${verdict.word}</p>
<p class="note">${verdict.note}</p>
${rows.length ? html`<table>${rows}</table>` : ''}
<footer>持证主体为自然人的，姓名已作脱敏处理。核验结果以发证机关记录为准。</footer>
</main>
</body>
</html>`);
}
