import { validateDeficiencyNoticeData } from './notice-data.validator.js';
import { renderNoticeDocument } from './notice-layout.renderer.js';
import { asSentence, formatDate, formWording } from './notice-text.formatter.js';
import type { DeficiencyNoticeData, ReviewedNoticeMaterial } from './notice.types.js';

/**
 * 一次性告知书 (seed 000 附件1) as a printable HTML document in three copies. Every
 * material is listed with its verdict, including required ones not handed in, so
 * the applicant learns every defect at once. Throws `InvalidNoticeError` when the
 * data is incomplete or nothing needs correcting.
 */
export function renderDeficiencyNotice(data: DeficiencyNoticeData): string {
  validateDeficiencyNoticeData(data);
  const received = data.materials.filter((material) => material.verdict !== 'MISSING').length;
  const lines = data.materials.map((material, i) => `${i + 1}.${material.name}：${verdictWording(material)}`);
  return renderNoticeDocument(data, {
    noticeName: '一次性告知书',
    intro: `收到您申请材料${received}件，经审查，具体情况如下：`,
    lines,
    // The seed leaves the period as "×日内"; it is counted in working days, and
    // saying so keeps applicants from reading it as calendar days.
    paragraph:
      `请将上述需补正的材料补齐补正，在${data.correctionWorkingDays}个工作日内(${formatDate(data.correctionDeadline)}前)` +
      '送至本窗口，逾期未补正的，视为您放弃本次申请。',
  });
}

function verdictWording(material: ReviewedNoticeMaterial): string {
  switch (material.verdict) {
    case 'QUALIFIED':
      return `${formWording(material)}，合格。`;
    case 'DEFICIENT':
      return `${formWording(material)}，不合格。补正意见：${asSentence(material.opinion ?? '')}`;
    case 'MISSING':
      return `未提交，不合格。补正意见：${asSentence(material.opinion ?? '')}`;
  }
}
