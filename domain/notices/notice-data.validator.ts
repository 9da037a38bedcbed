import { instantToEpochMs, shanghaiDateOf, weekdayOfDate, type Instant } from '../calendar/index.js';
import { InvalidNoticeError } from './notice.errors.js';
import { isKnownScope } from './notice-text.formatter.js';
import type { DeficiencyNoticeData, NoticeData, NoticeMaterial, ReceiptNoticeData } from './notice.types.js';

const FORMS: ReadonlySet<string> = new Set(['ORIGINAL', 'COPY', 'ORIGINAL_AND_COPY', 'ELECTRONIC']);
const VERDICTS: ReadonlySet<string> = new Set(['QUALIFIED', 'DEFICIENT', 'MISSING']);

/**
 * A notice is a signed, sealed statement to the applicant; one printed with a blank
 * name, a missing opinion or the wrong kind of notice would have to be withdrawn,
 * so incomplete data is refused before anything is rendered.
 */
export function validateReceiptNoticeData(data: ReceiptNoticeData): void {
  const issues = commonIssues(data);
  materialsOf(data).forEach((material, i) => {
    if (material.verdict !== undefined && material.verdict !== 'QUALIFIED') {
      issues.push(`${label(material, i)}${material.verdict === 'MISSING' ? '未提交' : '不合格'}，材料不齐全时应出具一次性告知书`);
    }
  });
  if (issues.length) throw new InvalidNoticeError('收件通知书', issues);
}

export function validateDeficiencyNoticeData(data: DeficiencyNoticeData): void {
  const issues = commonIssues(data);
  const materials = materialsOf(data);
  materials.forEach((material, i) => {
    if (material.verdict === undefined) issues.push(`${label(material, i)}缺少审查结论`);
    if ((material.verdict === 'DEFICIENT' || material.verdict === 'MISSING') && !material.opinion?.trim()) {
      issues.push(`${label(material, i)}缺少补正意见`);
    }
  });
  if (materials.length && materials.every((material) => material.verdict === 'QUALIFIED')) {
    issues.push('材料均合格，应出具收件通知书');
  }
  if (!Number.isInteger(data.correctionWorkingDays) || data.correctionWorkingDays < 1) {
    issues.push('补正期限（工作日数）应为正整数');
  }
  if (!isCivilDate(data.correctionDeadline)) {
    issues.push('补正截止日期应为 YYYY-MM-DD 格式的有效日期');
  } else if (isInstant(data.issuedAt) && data.correctionDeadline < shanghaiDateOf(data.issuedAt)) {
    issues.push('补正截止日期早于出具日期');
  }
  if (issues.length) throw new InvalidNoticeError('一次性告知书', issues);
}

function commonIssues(data: NoticeData): string[] {
  const issues: string[] = [];
  const required: [unknown, string][] = [
    [data.businessNo, '业务编号'],
    [data.receivingWindow?.name, '收件地窗口名称'],
    [data.receivingWindow?.phone, '窗口电话'],
    [data.jurisdictionWindow?.name, '属地窗口名称'],
    [data.applicantName, '申请人名称'],
    [data.itemName, '申请事项名称'],
    [data.legalItemName, '法定事项名称'],
    [data.contactName, '申请联系人'],
    [data.contactPhone, '联系电话'],
    [data.handler, '经办人'],
  ];
  for (const [value, name] of required) {
    if (typeof value !== 'string' || !value.trim()) issues.push(`${name}不能为空`);
  }
  if (!isKnownScope(data.scope)) issues.push(`通办类型无效: ${JSON.stringify(data.scope)}`);
  for (const [value, name] of [
    [data.legalLimitDays, '法定时限'],
    [data.promisedLimitDays, '承诺期限'],
  ] as const) {
    if (!Number.isInteger(value) || value < 0) issues.push(`${name}应为非负整数个工作日`);
  }

  const appliedOk = isInstant(data.appliedAt);
  const issuedOk = isInstant(data.issuedAt);
  if (!appliedOk) issues.push('申请时间应为带时区的 ISO-8601 时间');
  if (!issuedOk) issues.push('出具时间应为带时区的 ISO-8601 时间');
  if (appliedOk && issuedOk && instantToEpochMs(data.issuedAt) < instantToEpochMs(data.appliedAt)) {
    issues.push('出具时间早于申请时间');
  }

  if (!Array.isArray(data.materials) || data.materials.length === 0) {
    issues.push('材料清单不能为空');
    return issues;
  }
  data.materials.forEach((material, i) => {
    if (typeof material.name !== 'string' || !material.name.trim()) issues.push(`第 ${i + 1} 项材料缺少名称`);
    if (!FORMS.has(material.form)) issues.push(`${label(material, i)}的形式无效: ${JSON.stringify(material.form)}`);
    if (material.verdict !== undefined && !VERDICTS.has(material.verdict)) {
      issues.push(`${label(material, i)}的审查结论无效: ${JSON.stringify(material.verdict)}`);
    }
    if (material.verdict !== 'MISSING' && (!Number.isInteger(material.copies) || material.copies < 1)) {
      issues.push(`${label(material, i)}的份数应为正整数`);
    }
  });
  return issues;
}

/** Untyped callers may send anything; `commonIssues` has already reported a non-list. */
function materialsOf<T extends NoticeData>(data: T): T['materials'] {
  return Array.isArray(data.materials) ? data.materials : [];
}

function label(material: NoticeMaterial, index: number): string {
  return `第 ${index + 1} 项材料「${material.name}」`;
}

function isInstant(value: Instant): boolean {
  try {
    instantToEpochMs(value);
    return true;
  } catch {
    return false;
  }
}

function isCivilDate(value: string): boolean {
  try {
    weekdayOfDate(value);
    return true;
  } catch {
    return false;
  }
}
