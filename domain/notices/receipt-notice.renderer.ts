import { validateReceiptNoticeData } from './notice-data.validator.js';
import { renderNoticeDocument } from './notice-layout.renderer.js';
import { formWording, scopeWording } from './notice-text.formatter.js';
import type { ReceiptNoticeData } from './notice.types.js';

/**
 * 收件通知书 (seed 000 附件2) as a printable HTML document in three copies.
 * Throws `InvalidNoticeError` when the data is incomplete or a material is not
 * qualified, because a receipt confirms that the application is complete.
 */
export function renderReceiptNotice(data: ReceiptNoticeData): string {
  validateReceiptNoticeData(data);
  const { window } = scopeWording(data.scope);
  const lines = data.materials.map((material, i) => `${i + 1}.${material.name}：${formWording(material)}。`);
  return renderNoticeDocument(data, {
    noticeName: '收件通知书',
    intro: `收到您申请材料${data.materials.length}件。具体如下：`,
    lines,
    paragraph: `我们需要时间将您提交的申请材料寄送至属地${window}进行审查，现在先行收下您的申请材料，后续属地${window}将与您联系。`,
  });
}
