import { InputError } from '../errors.js';
import { regionOfDivision, type Scope } from '../region.js';

/**
 * Which 通办 a case is follows from where it is handed in and who owns the item:
 * across the two regions 川渝通办; inside Chongqing 跨区县通办; inside Sichuan
 * 省内通办. The item must be published for that kind of 通办.
 */
export function deriveScope(receivingDivision: string, itemDivision: string, itemScopes: readonly Scope[]): Scope {
  const receiving = regionOfDivision(receivingDivision);
  const owning = regionOfDivision(itemDivision);
  if (!receiving || !owning) {
    throw new InputError('INPUT.INVALID_DIVISION_CODE', `行政区划代码不属于川渝: ${receivingDivision} / ${itemDivision}`);
  }
  const scope: Scope = receiving !== owning ? 'SICHUAN_CHONGQING' : receiving === 'CHONGQING' ? 'CROSS_DISTRICT' : 'IN_PROVINCE';
  if (!itemScopes.includes(scope)) {
    throw new InputError('CASE.SCOPE_NOT_OFFERED', `该事项未开通${SCOPE_NAME[scope]}`);
  }
  return scope;
}

export const SCOPE_NAME: Record<Scope, string> = {
  SICHUAN_CHONGQING: '川渝通办',
  CROSS_DISTRICT: '跨区县通办',
  IN_PROVINCE: '省内通办',
  CROSS_PROVINCE: '跨省通办',
};
