import type { Region, Scope } from './region.js';

/** The service-item model both platforms' catalogs are normalised into. */
export type MaterialForm = 'ORIGINAL' | 'COPY' | 'ORIGINAL_AND_COPY' | 'ELECTRONIC';

export interface RequiredMaterial {
  name: string;
  form: MaterialForm;
  copies: number;
  required: boolean;
}

/**
 * Whether the item can be applied for where it is listed: seed 004 marks 暂停 (suspended)
 * and 已下放 (the power was delegated to a lower level, which now receives applications).
 */
export type ItemStatus = 'AVAILABLE' | 'SUSPENDED' | 'DELEGATED';

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
  /** The 办事指南 the limits and materials were loaded from, where ops loaded one (official-guides.ts). */
  guideSource?: string;
  status: ItemStatus;
  /** The list's 备注 as published (e.g. 暂停, 已下放); null for an item listed without one. */
  statusRemark: string | null;
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

