import { html } from './html.template.js';

/**
 * Print-first CSS for an A4 form in the style of the seed 000 templates: 宋体-like
 * serif body, 黑体-like bold title, a fully ruled table. The font stacks name the
 * fonts Windows, macOS and Linux window PCs actually have, because a notice may
 * embed nothing external. Each copy is one page; rows never split across pages.
 * The materials cell keeps a minimum height so a short list still fills the form
 * like the printed template, and the seal cell leaves room for a 42 mm round seal;
 * a copy with eight materials, each with a two-line opinion, still fits one page.
 */
export const NOTICE_STYLES = html`
@page { size: A4; margin: 15mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body {
  margin: 0;
  color: #000;
  background: #d9d9d9;
  font-family: "SimSun", "宋体", "Songti SC", "Noto Serif CJK SC", "Source Han Serif SC", "Noto Serif SC", serif;
  font-size: 10.5pt;
  line-height: 1.45;
}
.copy {
  width: 210mm;
  min-height: 297mm;
  margin: 6mm auto;
  padding: 15mm;
  background: #fff;
  box-shadow: 0 1mm 3mm rgba(0, 0, 0, 0.3);
}
.copy-label { margin: 0; text-align: right; font-size: 9pt; }
.copy-label strong { margin-left: 0.5em; border: 1px solid #000; padding: 0 1.5mm; }
.title {
  margin: 3mm 0 1mm;
  text-align: center;
  font-family: "SimHei", "黑体", "Heiti SC", "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", sans-serif;
  font-size: 18pt;
  font-weight: bold;
  letter-spacing: 0.05em;
}
.subtitle { margin: 0 0 4mm; text-align: center; font-size: 10pt; }
.meta { display: flex; justify-content: space-between; margin: 0 0 1.5mm; }
.form { width: 100%; border-collapse: collapse; table-layout: fixed; }
.form th, .form td { border: 1px solid #000; padding: 1.6mm 2mm; vertical-align: middle; }
.form tr { break-inside: avoid; page-break-inside: avoid; }
.form th { font-weight: normal; text-align: center; }
.form td.days { text-align: center; white-space: nowrap; }
.form tr.sample-remark td { font-size: 9pt; font-weight: bold; }
.col-label { width: 30%; }
.col-contact { width: 24%; }
.col-sub { width: 8%; }
.col-days { width: 15%; }
.form td.details { height: 70mm; vertical-align: top; }
.details p { margin: 0; }
.details ol { margin: 0; padding: 0; list-style: none; }
.details li { padding-left: 1.2em; text-indent: -1.2em; break-inside: avoid; }
.details.compact { font-size: 9pt; line-height: 1.35; }
.form tr.details-row { break-inside: auto; page-break-inside: auto; }
.paragraph { text-indent: 2em; }
.sign td { height: 11mm; }
.blank { display: inline-block; width: 45%; border-bottom: 1px solid #000; }
.seal td { height: 34mm; text-align: center; }
.seal .stamp { margin: 0 0 9mm; }
.seal .date { margin: 0; }
@media print {
  body { background: none; }
  .copy { width: auto; min-height: 0; margin: 0; padding: 0; box-shadow: none; break-after: page; page-break-after: always; }
  .copy:last-child { break-after: auto; page-break-after: auto; }
}
`;
