import { DomainError } from '../errors.js';

/** Where a 通办件 stands, from the receiving window's desk to the applicant's hands. */
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

export type CaseAction =
  | 'CORRECTED'
  | 'STILL_DEFICIENT'
  | 'ABANDON'
  | 'DISPATCH'
  | 'ATTACH_SCAN'
  | 'MATERIALS_RECEIVED'
  | 'PLATFORM_PROGRESS'
  | 'DECIDE'
  | 'REFUSE'
  | 'DISPATCH_RESULT'
  | 'RESULT_AT_WINDOW'
  | 'NOTIFY_PICKUP'
  | 'PICKUP_NOTICE_SENT'
  | 'GIVE_FEEDBACK'
  | 'DELIVER'
  | 'EVALUATE';

const ALLOWED: Record<CaseAction, readonly CaseStage[]> = {
  CORRECTED: ['DEFICIENT'],
  STILL_DEFICIENT: ['DEFICIENT'],
  ABANDON: ['DEFICIENT'],
  DISPATCH: ['RECEIVED'],
  // Scans are made at the receiving window, before the materials leave it.
  ATTACH_SCAN: ['DEFICIENT', 'RECEIVED'],
  // A platform that accepts the case proves the materials arrived, even before anyone confirms it.
  MATERIALS_RECEIVED: ['IN_TRANSFER'],
  PLATFORM_PROGRESS: ['IN_TRANSFER', 'AT_JURISDICTION', 'DECIDED', 'REFUSED', 'RESULT_DISPATCHED', 'AWAITING_PICKUP', 'DELIVERED'],
  DECIDE: ['AT_JURISDICTION'],
  REFUSE: ['IN_TRANSFER', 'AT_JURISDICTION'],
  DISPATCH_RESULT: ['DECIDED', 'REFUSED'],
  RESULT_AT_WINDOW: ['RESULT_DISPATCHED'],
  NOTIFY_PICKUP: ['AWAITING_PICKUP'],
  // The gateway's answer may come after the applicant has already collected the result.
  PICKUP_NOTICE_SENT: ['AWAITING_PICKUP', 'DELIVERED'],
  GIVE_FEEDBACK: ['RESULT_DISPATCHED', 'AWAITING_PICKUP', 'DELIVERED'],
  DELIVER: ['RESULT_DISPATCHED', 'AWAITING_PICKUP'],
  EVALUATE: ['RESULT_DISPATCHED', 'AWAITING_PICKUP', 'DELIVERED', 'REFUSED'],
};

const STAGE_NAME: Record<CaseStage, string> = {
  DEFICIENT: '待补正',
  ABANDONED: '已视为放弃',
  RECEIVED: '已收件',
  IN_TRANSFER: '材料流转中',
  AT_JURISDICTION: '属地办理中',
  DECIDED: '已作出决定',
  REFUSED: '不予受理',
  RESULT_DISPATCHED: '结果已寄出',
  AWAITING_PICKUP: '待领取',
  DELIVERED: '已送达',
};

export class CaseTransitionError extends DomainError {
  constructor(
    readonly from: CaseStage,
    readonly action: CaseAction,
  ) {
    super('CASE.INVALID_TRANSITION', `办件当前状态为“${STAGE_NAME[from]}”，不能执行该操作 (${action})`);
  }
}

export function canApply(from: CaseStage, action: CaseAction): boolean {
  return ALLOWED[action].includes(from);
}

export function assertTransition(from: CaseStage, action: CaseAction): void {
  if (!canApply(from, action)) throw new CaseTransitionError(from, action);
}

export function stageName(stage: CaseStage): string {
  return STAGE_NAME[stage];
}
