import { html, markupOf, type SafeHtml } from '../../domain/notices/html.template.js';
import type { Region } from '../../domain/region.js';
import type { departmentStatistics, periodStatistics } from './statistics.service.js';

type Totals = Awaited<ReturnType<typeof periodStatistics>>;
type ByDepartment = Awaited<ReturnType<typeof departmentStatistics>>;

const REGION_HALL: Record<Region, string> = {
  SICHUAN: '四川省政府政务服务和公共资源交易服务中心',
  CHONGQING: '重庆市政务服务管理办公室',
};

const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);
const days = (value: number | null) => (value === null ? '—' : value.toFixed(1));
const cnDate = (date: string) => `${Number(date.slice(5, 7))}月${Number(date.slice(8, 10))}日`;

/**
 * The 窗口工作周报 of seed 003 for the 通办 cases of one week: the headline
 * figures, then one row per department, as printed and circulated by the hall.
 */
export function renderWeeklyReport(input: { region: Region; from: string; to: string; issuedOn: string; totals: Totals; departments: ByDepartment }): string {
  const { totals } = input;
  const rows: SafeHtml[] = input.departments.map(
    (d) => html`<tr><td class="name">${d.department}</td><td>${d.received}</td><td>${d.forwarded}</td><td>${d.finished}</td>
      <td>${percent(d.finishedWithinLimitRate)}</td><td>${d.refused}</td><td>${d.evaluations}</td><td>${percent(d.goodRate)}</td></tr>`,
  );
  const page = html`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>窗口工作周报（通办）</title>
<style>
  @page { size: A4; margin: 18mm; }
  body { font-family: "Noto Serif CJK SC", "Songti SC", serif; color: #000; }
  h1 { text-align: center; color: #c00; font-size: 30pt; letter-spacing: 0.3em; margin: 0 0 6mm; }
  .meta { display: flex; justify-content: space-between; border-bottom: 2px solid #c00; padding-bottom: 2mm; }
  h2 { text-align: center; font-size: 16pt; margin: 8mm 0 2mm; }
  p { text-indent: 2em; line-height: 1.8; }
  table { width: 100%; border-collapse: collapse; margin-top: 4mm; font-size: 10.5pt; }
  th, td { border: 1px solid #000; padding: 1.5mm 2mm; text-align: center; }
  td.name { text-align: left; }
</style></head>
<body>
  <h1>窗口工作周报</h1>
  <div class="meta"><span>${REGION_HALL[input.region]}</span><span>${input.issuedOn.slice(0, 4)}年${cnDate(input.issuedOn)}</span></div>
  <h2>“通办”工作（${cnDate(input.from)}—${cnDate(input.to)}）</h2>
  <p>本周受理通办件${totals.received}件（另出具一次性告知书${totals.deficient}件），转属地办理${totals.forwarded}件，办结${totals.finished}件，
  其中承诺时限内办结${totals.finishedWithinLimit}件，承诺时限内办结率${percent(totals.finishedWithinLimitRate)}；不予受理${totals.refused}件；
  当前超期未办结${totals.overdueNow}件。收到“好差评”评价${totals.evaluations}件，好评率${percent(totals.goodRate)}。
  平均用时：收件地${days(totals.averageWorkingDays.receiving)}个工作日，材料流转${days(totals.averageWorkingDays.transfer)}个工作日，
  属地办理${days(totals.averageWorkingDays.jurisdiction)}个工作日。</p>
  <table>
    <thead><tr><th>部门</th><th>受理</th><th>转属地</th><th>办结</th><th>承诺时限内办结率</th><th>不予受理</th><th>评价</th><th>好评率</th></tr></thead>
    <tbody>${rows}</tbody>
  </table>
</body></html>`;
  return markupOf(page);
}
