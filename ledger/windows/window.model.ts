import type { OfficeHours } from '../../domain/hours/index.js';
import type { Region, Scope } from '../../domain/region.js';

export type WindowRole = 'RECEIVING' | 'JURISDICTION';

/** What an editor of the directory decides about a window: everything but the bookkeeping. */
export interface WindowDraft {
  id: string;
  name: string;
  region: Region;
  divisionCode: string;
  hall: string;
  address: string;
  contact: { person: string; phone: string; email: string; mailingAddress: string; postcode: string };
  /** The hall's weekly hours (Asia/Shanghai); closed on statutory holidays whatever they say. */
  hours: OfficeHours;
  roles: WindowRole[];
  scopes: Scope[];
  /** Departments whose items the window accepts; empty means all. */
  departments: string[];
  /** Items (实施编码) the window accepts; empty means all. */
  itemCodes: string[];
  active: boolean;
  sampleData: boolean;
}

export interface WindowRecord extends WindowDraft {
  /** Starts at 1 and grows by one with every change: the optimistic lock of the directory. */
  version: number;
  /** Null for a window stored before the directory kept history and not changed since. */
  updatedAt: string | null;
}

/** One field of a window as it was and as it became, each as JSON; null where it did not exist. */
export interface FieldChange {
  field: string;
  oldValue: string | null;
  newValue: string | null;
}

/** One entry of a window's history: who changed what, when, and which version it produced. */
export interface WindowChange {
  version: number;
  at: string;
  actor: string;
  changes: FieldChange[];
}
