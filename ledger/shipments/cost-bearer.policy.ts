import { DomainError } from '../../domain/errors.js';
import type { Scope } from '../../domain/region.js';
import { SCOPE_NAME } from '../../domain/workflow/scope.js';
import type { CostBearer } from './shipment.model.js';

/**
 * Who pays the courier follows the agreement a case runs under. 川渝通办: the
 * jurisdiction pays both legs (seed 000 一(三)2: 办事材料寄递和办理结果寄递费用由属地…负责).
 * 省内通办: whichever department sends (seed 002 第八条(三): 分别由材料寄出部门承担).
 * Seed 001 is silent for 跨区县通办, which follows the in-province rule. No seed
 * covers 跨省通办, so a waybill for it is refused rather than billed to a guess.
 */
const COST_BEARERS: Record<Scope, CostBearer | null> = {
  SICHUAN_CHONGQING: 'JURISDICTION',
  IN_PROVINCE: 'SENDER',
  CROSS_DISTRICT: 'SENDER',
  CROSS_PROVINCE: null,
};

export function costBearerOf(scope: Scope): CostBearer {
  const bearer = COST_BEARERS[scope];
  if (!bearer) throw new DomainError('SHIPMENT.NO_COST_RULE', `${SCOPE_NAME[scope]}的寄递费用承担方没有约定，不能下单`);
  return bearer;
}
