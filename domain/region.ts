import { InputError } from './errors.js';

export type Region = 'CHONGQING' | 'SICHUAN';

export type Scope = 'SICHUAN_CHONGQING' | 'CROSS_DISTRICT' | 'IN_PROVINCE' | 'CROSS_PROVINCE';

/**
 * Item codes begin with the 6-digit division code of the authority that owns the
 * item ("500000-00001", "513200-00012"), so the owning platform is known from the
 * code alone — the planner needs that to route `item { name }` without a lookup.
 */
const ITEM_CODE = /^(\d{6})-(\d{5})$/;

export function regionOfDivision(divisionCode: string): Region | null {
  if (!/^\d{6}$/.test(divisionCode)) return null;
  if (divisionCode.startsWith('50')) return 'CHONGQING';
  if (divisionCode.startsWith('51')) return 'SICHUAN';
  return null;
}

export function regionOfItemCode(code: string): Region {
  const match = ITEM_CODE.exec(code);
  const region = match ? regionOfDivision(match[1]!) : null;
  if (!region) {
    throw new InputError('INPUT.INVALID_ITEM_CODE', `事项编码格式不正确: ${JSON.stringify(code)}（应为 6 位区划代码-5 位序号，如 500000-00001）`);
  }
  return region;
}
