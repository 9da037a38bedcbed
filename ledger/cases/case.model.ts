import type { Decision, PlatformCertificate, PlatformStage } from '../../adapters/platform.port.js';
import type { ClockState } from '../../domain/clock/index.js';
import type { Region, Scope } from '../../domain/region.js';
import type { ReviewedMaterial } from '../../domain/workflow/formal-review.js';
import type { CaseStage } from '../../domain/workflow/case-stages.js';

export type { CaseStage };

export type TransferChannel = 'ONLINE' | 'OFFLINE' | 'BOTH';
export type ResultDelivery = 'MAIL' | 'PICKUP';

export interface Address {
  recipient: string;
  phone: string;
  address: string;
  postcode: string;
}

export interface NoticeRecord {
  id: string;
  kind: 'RECEIPT' | 'DEFICIENCY';
  issuedAt: string;
  /** The materials as reviewed for this notice, so a reprint says what the original said. */
  materials: ReviewedMaterial[];
}

/** What a scan may be: the types the receiving window's scanners produce and the platforms accept. */
export type ScanType = 'PDF' | 'OFD' | 'JPEG' | 'PNG';

/**
 * A scan (扫描件) of one handed-in material, stored by its SHA-256: what travels
 * when the materials go online (seed 000: 将纸质材料转化为电子材料).
 */
export interface MaterialScan {
  /** The reviewed material's name. */
  material: string;
  /** The upload it came from: a retried attach finds its scan by it. */
  uploadId: string;
  sha256: string;
  size: number;
  type: ScanType;
  /** Pages of a PDF; null for the other types. */
  pages: number | null;
  attachedAt: string;
  attachedBy: string;
  /** The owning platform's id of the file, once it has acknowledged the bytes under the same digest. */
  platformFileId: string | null;
  acknowledgedAt: string | null;
}

/** The 电子证照 the owning platform issued with the result, its PDF kept by its SHA-256 like a scan. */
export type CaseCertificate = Omit<PlatformCertificate, 'fileId'> & { platformFileId: string; sha256: string; size: number };

export interface CaseRecord {
  /** Bumped by every change; a change is written only over the version it was computed from. */
  version: number;
  businessNo: string;
  scope: Scope;
  stage: CaseStage;
  itemCode: string;
  /** The region that owns the item and decides; its platform holds `platformCaseId`. */
  jurisdictionRegion: Region;
  /** As published when the application was received: notices must keep printing what the applicant applied for. */
  item: {
    name: string;
    legalName: string;
    department: string;
    legalLimitDays: number;
    promisedLimitDays: number;
    /** Whether the limits and materials were sample values (optional: absent on cases received before it was kept). */
    sampleData?: boolean;
    /** 权力类型, a dimension of the statistics (absent on cases received before it was kept). */
    powerType?: string;
  };
  applicant: { kind: 'PERSON' | 'ORGANISATION'; name: string; idNumber: string };
  contact: { name: string; phone: string };
  delivery: { method: ResultDelivery; address: Address | null };
  receivingWindowId: string;
  jurisdictionWindowId: string;
  receivingDivisionCode: string;
  /** 经办人 at the receiving window. */
  handler: string;
  materials: ReviewedMaterial[];
  /** The materials' scans, in the order attached (absent on cases stored before scans were kept). */
  scans?: MaterialScan[];
  /** 申请时间: when the applicant handed the application in. */
  appliedAt: string;
  /** When the application was complete and accepted: the clock starts here. */
  acceptedAt: string | null;
  correction: { deadline: string; dueAt: string; workingDays: number } | null;
  transfer: {
    channel: TransferChannel;
    dispatchedAt: string;
    onlineDueAt: string | null;
    paperDueAt: string | null;
    forwardedAt: string | null;
    /** When the paper left by 政务专递 (the courier's pickup of the waybill). */
    paperSentAt: string | null;
    receivedAt: string | null;
  } | null;
  platformCaseId: string | null;
  platformStage: PlatformStage | null;
  decision: Decision | null;
  refusalReasons: string[];
  result: {
    method: ResultDelivery;
    dispatchedAt: string;
    waybillNo: string | null;
    feedbackDueAt: string;
    /** When the jurisdiction told the receiving window the result is on its way (办理结果反馈收件地窗口). Absent in cases stored before it was recorded. */
    feedbackGivenAt?: string | null;
    arrivedAtWindowAt: string | null;
    pickupNoticeDueAt: string | null;
    /** When the pickup SMS was committed to the notifications outbox; absent in cases stored before it was sent by SMS. */
    pickupNoticeQueuedAt?: string | null;
    /** When the notify gateway accepted the pickup SMS: the applicant is told, the notice deadline met. */
    applicantNotifiedAt: string | null;
    deliveredAt: string | null;
  } | null;
  clock: ClockState;
  notices: NoticeRecord[];
  evaluation: { score: number; comment: string | null; at: string } | null;
  /** Absent until the platform issues one (and on cases stored before certificates were kept). */
  certificate?: CaseCertificate | null;
  updatedAt: string;
  /**
   * Set on a case read from its archive (ARCHIVE.md): the events up to the
   * archiving are in that file, not in Redis. A change to an archived case
   * writes the whole record back and keeps this, so its timeline still starts
   * with them.
   */
  archive?: { sha256: string; size: number };
}

/**
 * What Redis keeps of an archived case in place of its record: what the
 * indexes list it by and what names it, and the archive that holds the rest.
 */
export interface CaseStub {
  businessNo: string;
  stage: CaseStage;
  scope: Scope;
  itemCode: string;
  itemName: string;
  jurisdictionRegion: Region;
  receivingWindowId: string;
  jurisdictionWindowId: string;
  receivingDivisionCode: string;
  appliedAt: string;
  /** The record's last change: when it was closed, or the last change after. */
  closedAt: string;
  archivedAt: string;
  archive: { sha256: string; size: number };
}

/** One entry of a case's event stream, its audit trail. */
export interface CaseEvent {
  type: string;
  at: string;
  actor: string;
  data: Record<string, unknown>;
}
