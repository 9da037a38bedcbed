/**
 * The one model both regional platforms are normalised into. Subgraphs and jobs
 * speak only this; each adapter translates its platform's envelope, field names,
 * time formats and status codes to and from it.
 */
import type { Region, Scope } from '../domain/region.js';

export type { Region, Scope };

export type MaterialForm = 'ORIGINAL' | 'COPY' | 'ORIGINAL_AND_COPY' | 'ELECTRONIC';

export interface RequiredMaterial {
  name: string;
  form: MaterialForm;
  copies: number;
  required: boolean;
}

export interface CatalogItem {
  code: string;
  region: Region;
  name: string;
  /** 法定事项名称: the item's name in the law, which notices print beside the applied name. */
  legalName: string;
  department: string;
  divisionCode: string;
  /** 权力类型, e.g. 行政许可, 行政确认, 公共服务. */
  powerType: string;
  legalLimitDays: number;
  promisedLimitDays: number;
  materials: RequiredMaterial[];
  scopes: Scope[];
  /** True where limits and materials were generated, not taken from an official 办事指南. */
  sampleData: boolean;
}

export interface CatalogPage {
  items: CatalogItem[];
  total: number;
}

/** Jurisdiction-side stages (seed 004): 受理 → 审核 → 决定 → 制证 → 盖章 → 出件, or 不予受理. */
export type PlatformStage =
  | 'SUBMITTED'
  | 'ACCEPTED'
  | 'REVIEWING'
  | 'DECIDED'
  | 'CERTIFICATE_MADE'
  | 'SEALED'
  | 'ISSUED'
  | 'REJECTED';

export type Decision = 'APPROVED' | 'DENIED';

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
  /** Reference of the scanned file when the material travels online. */
  electronicRef?: string;
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
}

export interface PlatformPort {
  readonly region: Region;
  /** One call for any number of codes; the result is aligned with `codes`, null where unknown. */
  getItemsByCodes(codes: readonly string[]): Promise<(CatalogItem | null)[]>;
  searchItems(query: SearchItemsQuery): Promise<CatalogPage>;
  submitCase(request: SubmitCaseRequest): Promise<PlatformCaseRecord>;
  /** One call for any number of ids; aligned with `ids`, null where unknown. */
  getCasesByIds(ids: readonly string[]): Promise<(PlatformCaseRecord | null)[]>;
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
