export { renderDeficiencyNotice } from './deficiency-notice.renderer.js';
export { InvalidNoticeError } from './notice.errors.js';
export type {
  DeficiencyNoticeData,
  NoticeData,
  NoticeMaterial,
  NoticeMaterialForm,
  NoticeMaterialVerdict,
  PickupNoticeCertificate,
  PickupNoticeData,
  ReceiptNoticeData,
  ReviewedNoticeMaterial,
} from './notice.types.js';
export { renderReceiptNotice } from './receipt-notice.renderer.js';
export { hoursWording, renderPickupNotice } from './pickup-notice.renderer.js';
