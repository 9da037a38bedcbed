import type { MaterialForm } from '../../adapters/platform.port.js';
import type { Region, Scope } from '../../domain/region.js';

export type CaseStage =
  | 'DEFICIENT'
  | 'ABANDONED'
  | 'RECEIVED'
  | 'IN_TRANSFER'
  | 'AT_JURISDICTION'
  | 'DECIDED'
  | 'REFUSED'
  | 'RESULT_DISPATCHED'
  | 'AWAITING_PICKUP'
  | 'DELIVERED';

export interface CaseRecord {
  businessNo: string;
  scope: Scope;
  stage: CaseStage;
  itemCode: string;
  /** The region that owns the item and decides: its platform holds `platformCaseId`. */
  jurisdictionRegion: Region;
  applicant: { kind: 'PERSON' | 'ORGANISATION'; name: string; idNumber: string };
  contact: { name: string; phone: string };
  receivingWindowId: string;
  jurisdictionWindowId: string;
  materials: { name: string; form: MaterialForm; copies: number }[];
  appliedAt: string;
  platformCaseId: string | null;
}

export interface CaseEvent {
  type: string;
  at: string;
  data: Record<string, unknown>;
}
