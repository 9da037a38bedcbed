export { renderDeficiencyNotice } from './deficiency-notice.renderer.js';
export { InvalidNoticeError } from './notice.errors.js';
export type {
  DeficiencyNoticeData,
  NoticeData,
  NoticeMaterial,
  NoticeMaterialForm,
  NoticeMaterialVerdict,
  ReceiptNoticeData,
  ReviewedNoticeMaterial,
} from './notice.types.js';
export { renderReceiptNotice } from './receipt-notice.renderer.js';
