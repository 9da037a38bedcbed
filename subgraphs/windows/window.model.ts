import type { Region, Scope } from '../../domain/region.js';

export type Weekday = 'MON' | 'TUE' | 'WED' | 'THU' | 'FRI' | 'SAT' | 'SUN';
export type WindowRole = 'RECEIVING' | 'JURISDICTION';

export interface WindowRecord {
  id: string;
  name: string;
  region: Region;
  divisionCode: string;
  hall: string;
  address: string;
  contact: { person: string; phone: string; email: string; mailingAddress: string; postcode: string };
  /** HH:MM-HH:MM ranges per weekday, Asia/Shanghai. */
  hours: Record<Weekday, string[]>;
  roles: WindowRole[];
  scopes: Scope[];
  departments: string[];
  active: boolean;
  sampleData: boolean;
}
