import { html, markupOf, type SafeHtml } from '../../domain/notices/html.template.js';
import type { Region } from '../../domain/region.js';
import type { categoryFigures, dailyStatistics, departmentStatistics, periodStatistics, reportIssue } from '../../ledger/cases/statistics.service.js';

type Totals = Awaited<ReturnType<typeof periodStatistics>>;
type ByDepartment = Awaited<ReturnType<typeof departmentStatistics>>;
type ByDay = Awaited<ReturnType<typeof dailyStatistics>>;
type ByPowerType = Awaited<ReturnType<typeof categoryFigures>>['byPowerType'];

const REGION_HALL: Record<Region, string> = {
  SICHUAN: '四川省政府政务服务和公共资源交易服务中心',
  CHONGQING: '重庆市政务服务管理办公室',
};

const REGION_PLATFORM: Record<Region, string> = {
  SICHUAN: '四川一体化政务服务平台',
  CHONGQING: '“渝快办”政务服务平台',
};

const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);
const days = (value: number | null) => (value === null ? '—' : value.toFixed(1));
const cnDate = (date: string) => `${Number(date.slice(5, 7))}月${Number(date.slice(8, 10))}日`;
const cnFullDate = (date: string) => `${date.slice(0, 4)}年${cnDate(date)}`;

export interface WeeklyReportInput {
  region: Region;
  issue: ReturnType<typeof reportIssue>;
  /** The week's first and last working day, the period as seed 003 prints it. */
  period: { from: string; to: string };
  issuedOn: string;
  totals: Totals;
  departments: ByDepartment;
  daily: ByDay;
  /** 1 January to the period's end, at 省本级, per power type category. */
  yearToDate: { from: string; to: string; byPowerType: ByPowerType };
}

/**
 * The 窗口工作周报 of seed 003 for the 通办 cases of one week, as supervisors read and
 * print it: 第N期（总第M期）, the year-to-date figures at 省本级 per power type, the week's
 * figures, and two charts drawn here as inline SVG (the page loads nothing from anywhere).
 */
export function renderWeeklyReport(input: WeeklyReportInput): string {
  const { totals, issue } = input;
  const [licensing, publicService, other] = input.yearToDate.byPowerType;
  const rows: SafeHtml[] = input.departments.map(
    (d) => html`<tr><td class="name">${d.department}</td><td>${d.received}</td><td>${d.forwarded}</td><td>${d.finished}</td>
      <td>${percent(d.finishedWithinLimitRate)}</td><td>${d.refused}</td><td>${d.evaluations}</td><td>${percent(d.evaluationRate)}</td><td>${percent(d.goodRate)}</td></tr>`,
  );
  const page = html`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>窗口工作周报 ${issue.year}年第${issue.number}期</title>
<style>
  @page { size: A4; margin: 18mm; }
  body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", serif; color: #000; max-width: 174mm; margin: 0 auto; }
  h1 { text-align: center; color: #c00; font-size: 30pt; letter-spacing: 0.3em; margin: 0 0 3mm; }
  .issue { text-align: center; margin: 0 0 4mm; }
  .meta { display: flex; justify-content: space-between; border-bottom: 2px solid #c00; padding-bottom: 2mm; }
  h2 { text-align: center; font-size: 16pt; margin: 8mm 0 2mm; }
  h3 { font-size: 12pt; margin: 5mm 0 2mm; }
  p { text-indent: 2em; line-height: 1.8; }
  table { width: 100%; border-collapse: collapse; margin-top: 4mm; font-size: 10pt; break-inside: avoid; }
  th, td { border: 1px solid #000; padding: 1.5mm 1.5mm; text-align: center; }
  td.name { text-align: left; }
  figure { margin: 4mm 0; break-inside: avoid; }
  figcaption { text-align: center; font-size: 10pt; }
  svg { display: block; width: 100%; height: auto; }
  svg text { font-family: inherit; font-size: 11px; }
</style></head>
<body>
  <h1>窗口工作周报</h1>
  <p class="issue">${issue.year}年第${issue.number}期（总第${issue.total}期）</p>
  <div class="meta"><span>${REGION_HALL[input.region]}</span><span>${cnFullDate(input.issuedOn)}</span></div>
  <h2>“通办”工作</h2>
  <p class="issue period">（${cnDate(input.period.from)}—${cnDate(input.period.to)}）</p>
  <h3>一、省级政务服务事项受理办理情况</h3>
  <p class="year-to-date">据${REGION_PLATFORM[input.region]}数据统计，${cnFullDate(input.yearToDate.from)}至${cnFullDate(input.yearToDate.to)}，省本级行政许可事项受理${licensing!.received}件，办结${licensing!.finished}件；公共服务事项受理${publicService!.received}件，办结${publicService!.finished}件，其它九类行权事项受理${other!.received}件，累计办结${other!.finished}件。</p>
  <h3>二、本周通办件办理情况</h3>
  <p class="week">本周受理通办件${totals.received}件（另出具一次性告知书${totals.deficient}件），转属地办理${totals.forwarded}件，办结${totals.finished}件，
  其中承诺时限内办结${totals.finishedWithinLimit}件，承诺时限内办结率${percent(totals.finishedWithinLimitRate)}；不予受理${totals.refused}件；
  当前超期未办结${totals.overdueNow}件。收到“好差评”评价${totals.evaluations}件，办件评价率${percent(totals.evaluationRate)}，好评率${percent(totals.goodRate)}。
  平均用时：收件地${days(totals.averageWorkingDays.receiving)}个工作日，材料流转${days(totals.averageWorkingDays.transfer)}个工作日，
  属地办理${days(totals.averageWorkingDays.jurisdiction)}个工作日。</p>
  <figure class="chart-daily">${dailyChart(input.daily)}<figcaption>图1 每日受理与办结件数</figcaption></figure>
  <figure class="chart-departments">${departmentChart(input.departments)}<figcaption>图2 各部门承诺时限内办结率</figcaption></figure>
  <table>
    <thead><tr><th>部门</th><th>受理</th><th>转属地</th><th>办结</th><th>承诺时限内办结率</th><th>不予受理</th><th>评价</th><th>办件评价率</th><th>好评率</th></tr></thead>
    <tbody>${rows}</tbody>
  </table>
</body></html>`;
  return markupOf(page);
}

const WIDTH = 640;

/** Received (dark) and finished (light) side by side for each day of the week. */
function dailyChart(daily: ByDay): SafeHtml {
  const height = 220;
  const top = 20;
  const bottom = 40;
  const left = 40;
  const plot = height - top - bottom;
  const max = Math.max(1, ...daily.flatMap((d) => [d.received, d.finished]));
  const slot = (WIDTH - left - 10) / daily.length;
  const bar = slot / 3;
  const y = (value: number) => top + plot - (value / max) * plot;
  const bars = daily.map((d, i) => {
    const x = left + i * slot + bar / 2;
    return html`<g class="day" data-date="${d.date}">
      <rect class="received" x="${x}" y="${y(d.received)}" width="${bar}" height="${top + plot - y(d.received)}" fill="#8b0000"><title>${cnDate(d.date)} 受理 ${d.received}</title></rect>
      <rect class="finished" x="${x + bar}" y="${y(d.finished)}" width="${bar}" height="${top + plot - y(d.finished)}" fill="#e39a9a"><title>${cnDate(d.date)} 办结 ${d.finished}</title></rect>
      <text x="${x + bar}" y="${y(Math.max(d.received, d.finished)) - 4}" text-anchor="middle">${d.received}/${d.finished}</text>
      <text x="${x + bar}" y="${height - bottom + 16}" text-anchor="middle">${cnDate(d.date)}</text>
    </g>`;
  });
  return html`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="每日受理与办结件数">
    <line x1="${left}" y1="${top + plot}" x2="${WIDTH - 10}" y2="${top + plot}" stroke="#000"/>
    <line x1="${left}" y1="${top}" x2="${left}" y2="${top + plot}" stroke="#000"/>
    <text x="${left - 6}" y="${top + 4}" text-anchor="end">${max}</text>
    <text x="${left - 6}" y="${top + plot}" text-anchor="end">0</text>
    ${bars}
    <rect x="${WIDTH - 150}" y="${height - 16}" width="10" height="10" fill="#8b0000"/><text x="${WIDTH - 136}" y="${height - 7}">受理</text>
    <rect x="${WIDTH - 90}" y="${height - 16}" width="10" height="10" fill="#e39a9a"/><text x="${WIDTH - 76}" y="${height - 7}">办结</text>
  </svg>`;
}

/** One horizontal bar per department, 0–100 %; a department with nothing finished shows —. */
function departmentChart(departments: ByDepartment): SafeHtml {
  const row = 24;
  const left = 200;
  const scale = WIDTH - left - 60;
  const height = Math.max(1, departments.length) * row + 24;
  const bars = departments.map((d, i) => {
    const y = 8 + i * row;
    const width = (d.finishedWithinLimitRate ?? 0) * scale;
    return html`<g class="department" data-department="${d.department}">
      <text x="${left - 6}" y="${y + 14}" text-anchor="end">${d.department}</text>
      <rect x="${left}" y="${y}" width="${width}" height="${row - 8}" fill="#8b0000"/>
      <text x="${left + width + 4}" y="${y + 14}">${percent(d.finishedWithinLimitRate)}</text>
    </g>`;
  });
  return html`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="各部门承诺时限内办结率">
    <line x1="${left}" y1="4" x2="${left}" y2="${height - 16}" stroke="#000"/>
    <text x="${left}" y="${height - 2}" text-anchor="middle">0</text>
    <text x="${left + scale}" y="${height - 2}" text-anchor="middle">100%</text>
    ${bars}
  </svg>`;
}
