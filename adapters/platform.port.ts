/**
 * The one model both regional platforms are normalised into. Subgraphs and jobs
 * speak only this; each adapter translates its platform's envelope, field names,
 * time formats and status codes to and from it.
 */
import type { CatalogItem, Decision, ItemStatus, MaterialForm, PlatformStage, RequiredMaterial } from '../domain/catalog.js';
import type { Region, Scope } from '../domain/region.js';

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
