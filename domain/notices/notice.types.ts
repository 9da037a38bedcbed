import type { Instant } from '../calendar/index.js';
import type { OfficeHours } from '../hours/index.js';
import type { Scope } from '../region.js';

export type NoticeMaterialForm = 'ORIGINAL' | 'COPY' | 'ORIGINAL_AND_COPY' | 'ELECTRONIC';

/** 合格 / 不合格 / 未提交 (required but not handed in). */
export type NoticeMaterialVerdict = 'QUALIFIED' | 'DEFICIENT' | 'MISSING';

export interface NoticeMaterial {
  name: string;
  form: NoticeMaterialForm;
  /** For ORIGINAL_AND_COPY the number of originals and of copies alike; ignored for MISSING. */
  copies: number;
  verdict?: NoticeMaterialVerdict;
  /** 补正意见, required for DEFICIENT and MISSING. `null` is accepted as formal review produces it. */
  opinion?: string | null;
}

export interface ReviewedNoticeMaterial extends NoticeMaterial {
  verdict: NoticeMaterialVerdict;
}

/** The fields the two forms at the end of seed 000 have in common. */
export interface NoticeData {
  businessNo: string;
  /** 申请时间, printed to the hour in Asia/Shanghai. */
  appliedAt: Instant;
  scope: Scope;
  receivingWindow: { name: string; phone: string };
  jurisdictionWindow: { name: string };
  applicantName: string;
  itemName: string;
  legalItemName: string;
  contactName: string;
  contactPhone: string;
  legalLimitDays: number;
  promisedLimitDays: number;
  /**
   * True where the limits and the material list are generated sample values, not the item's
   * official 办事指南: the form then says so where they are printed, so nobody relies on them.
   */
  sampleData: boolean;
  /** 经办人 at the receiving window. */
  handler: string;
  materials: readonly NoticeMaterial[];
  /** When the window issues and seals the notice, printed under the seal to the hour. */
  issuedAt: Instant;
}

/** 收件通知书: issued when every material is complete. */
export type ReceiptNoticeData = NoticeData;

/** 一次性告知书: lists every material with its verdict, and the correction deadline. */
export interface DeficiencyNoticeData extends NoticeData {
  materials: readonly ReviewedNoticeMaterial[];
  /** Last day ('YYYY-MM-DD', Asia/Shanghai) on which corrections are accepted. */
  correctionDeadline: string;
  correctionWorkingDays: number;
}

/** The e-certificate a pickup notice names, with the QR code of its verify page made by the caller. */
export interface PickupNoticeCertificate {
  number: string;
  /** 'YYYY-MM-DD', or null for a certificate without an end date. */
  validUntil: string | null;
  verifyUrl: string;
  /** `data:image/svg+xml;base64,...`: the domain makes no images, it only places one. */
  qrDataUri: string;
}

/** 领取通知: the result waits at the receiving window for the applicant to collect it. */
export interface PickupNoticeData {
  businessNo: string;
  scope: Scope;
  applicantName: string;
  contactName: string;
  contactPhone: string;
  itemName: string;
  /** `hours` null for a window gone from the directory: the notice then invents none. */
  receivingWindow: { name: string; address: string; phone: string; hours: OfficeHours | null };
  certificate: PickupNoticeCertificate | null;
  issuedAt: Instant;
}
