/**
 * The one model both regional platforms are normalised into. Subgraphs and jobs
 * speak only this; each adapter translates its platform's envelope, field names,
 * time formats and status codes to and from it.
 */
import type { CatalogItem, Decision, ItemStatus, MaterialForm, PlatformStage, RequiredMaterial } from '../domain/catalog.js';
import type { Region, Scope } from '../domain/region.js';
import type { Readable } from 'node:stream';

export type { CatalogItem, Decision, ItemStatus, MaterialForm, PlatformStage, Region, RequiredMaterial, Scope };

export interface CatalogPage {
  items: CatalogItem[];
  total: number;
}

export interface PlatformStageChange {
  stage: PlatformStage;
  at: string;
  note?: string;
}

export interface PlatformCaseRecord {
  platformCaseId: string;
  region: Region;
  businessNo: string;
  itemCode: string;
  stage: PlatformStage;
  decision: Decision | null;
  rejectReasons: string[];
  updatedAt: string;
  history: PlatformStageChange[];
  /** Present from stage ISSUED when the item issues one. */
  certificate: PlatformCertificate | null;
}

export interface ApplicantRef {
  kind: 'PERSON' | 'ORGANISATION';
  name: string;
  /** Resident ID (GB 11643) or USCC (GB 32100). */
  idNumber: string;
}

export interface SubmittedMaterial {
  name: string;
  form: MaterialForm;
  copies: number;
  /**
   * The platform file ids of the material's scans (uploadFile): the platform refuses a
   * submission naming a file it does not hold for that business number, or whose digest differs.
   */
  fileIds?: string[];
}

export interface SubmitCaseRequest {
  /** Same key ⇒ same platform case: a retried submission never creates a second one. */
  idempotencyKey: string;
  businessNo: string;
  itemCode: string;
  applicant: ApplicantRef;
  contact: { name: string; phone: string };
  receivingWindowId: string;
  receivingDivisionCode: string;
  materials: SubmittedMaterial[];
  submittedAt: string;
}

export interface SearchItemsQuery {
  search?: string;
  offset: number;
  limit: number;
}

/** A status change pushed by a platform (webhook) or found by polling. */
export interface PlatformEvent {
  /** The platform's own id of the push; with the nonce it makes a replay detectable. */
  eventId: string;
  region: Region;
  platformCaseId: string;
  businessNo: string;
  stage: PlatformStage;
  decision: Decision | null;
  reasons: string[];
  at: string;
  /** Set on a revocation push: the case's e-certificate was revoked. */
  certificateRevoked?: { verificationCode: string; revokedAt: string; reason: string };
}

export interface PlatformFileUpload {
  /** The case the file belongs to; with the digest it makes the upload idempotent. */
  businessNo: string;
  /** The reviewed material's name. */
  material: string;
  /** SHA-256 of the bytes, lowercase hex. */
  sha256: string;
  size: number;
  /** application/pdf, application/ofd, image/jpeg or image/png. */
  contentType: string;
  /** Opens the bytes afresh for each attempt: a file is streamed, never held whole. */
  open(): Promise<Readable>;
}

export interface PlatformFileReceipt {
  fileId: string;
  sha256: string;
  size: number;
  /** ISO UTC. */
  receivedAt: string;
}

export interface PlatformFile {
  body: Readable;
  size: number;
  sha256: string;
  contentType: string;
}

/** 电子证照 as the platform issues it with the result. */
export interface PlatformCertificate {
  /** The platform file id of the certificate's PDF (downloadFile). */
  fileId: string;
  number: string;
  holderName: string;
  itemName: string;
  department: string;
  /** YYYY-MM-DD. */
  validFrom: string;
  /** YYYY-MM-DD; null = 长期有效. */
  validUntil: string | null;
  verificationCode: string;
  /** ISO. */
  issuedAt: string;
  revokedAt: string | null;
  revocationReason: string | null;
}

export interface PlatformPort {
  readonly region: Region;
  /** One call for any number of codes; the result is aligned with `codes`, null where unknown. */
  getItemsByCodes(codes: readonly string[]): Promise<(CatalogItem | null)[]>;
  searchItems(query: SearchItemsQuery): Promise<CatalogPage>;
  submitCase(request: SubmitCaseRequest): Promise<PlatformCaseRecord>;
  /** One call for any number of ids; aligned with `ids`, null where unknown. */
  getCasesByIds(ids: readonly string[]): Promise<(PlatformCaseRecord | null)[]>;
  /** Idempotent per (businessNo, sha256): the same file uploaded again returns the same fileId. */
  uploadFile(upload: PlatformFileUpload): Promise<PlatformFileReceipt>;
  /** The body errors at its end when the bytes do not hash to the announced digest. */
  downloadFile(fileId: string): Promise<PlatformFile>;
}

/** Remembers webhook nonces for the timestamp window so that a replayed push is refused. */
export interface NonceStore {
  /** True the first time a nonce is seen within `ttlSeconds`, false on every repeat. */
  claim(nonce: string, ttlSeconds: number): Promise<boolean>;
}

export interface InboundWebhook {
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}
