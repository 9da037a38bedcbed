import type { OfficeHours } from '../../domain/hours/index.js';
import type { Region, Scope } from '../../domain/region.js';

export type WindowRole = 'RECEIVING' | 'JURISDICTION';

export interface WindowRecord {
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
  departments: string[];
  active: boolean;
  sampleData: boolean;
}
