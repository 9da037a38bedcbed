import { regionOfDivision, type Region } from '../domain/region.js';
import type { Caller } from './auth/caller.js';
import { ForbiddenError } from './auth/caller.js';

/**
 * What decides who may see a case: its windows and regions, fixed when it is
 * received. Every subgraph that serves something of a case (the ledger, the
 * courier's waybills) asks this one policy, so none can be a way around another.
 */
export interface CaseParties {
  receivingWindowId: string;
  jurisdictionWindowId: string;
  jurisdictionRegion: Region;
  receivingDivisionCode: string;
}

/** Only the parties of a case, for a record kept elsewhere (a waybill) that must be checked like its case. */
export function casePartiesOf(record: CaseParties): CaseParties {
  const { receivingWindowId, jurisdictionWindowId, jurisdictionRegion, receivingDivisionCode } = record;
  return { receivingWindowId, jurisdictionWindowId, jurisdictionRegion, receivingDivisionCode };
}

/**
 * Who may see and do what with a case (seed 002 第九条: applicant data serves
 * the case only). A window sees the cases handed in or handled at it; the
 * jurisdiction staff of a region see the cases for items their region owns;
 * supervisors see their region's cases; ops and platforms see none.
 */
export function canSeeCase(caller: Caller, record: CaseParties): boolean {
  switch (caller.role) {
    case 'WINDOW_STAFF':
      return caller.windowId === record.receivingWindowId || caller.windowId === record.jurisdictionWindowId;
    case 'JURISDICTION_STAFF':
      return caller.region === record.jurisdictionRegion;
    case 'SUPERVISOR':
      return caller.region === record.jurisdictionRegion || caller.region === regionOfDivision(record.receivingDivisionCode);
    default:
      return false;
  }
}

/** Acts of the receiving window: corrections, dispatch, pickup, evaluation. */
export function assertReceivingWindow(caller: Caller, record: CaseParties): void {
  if (caller.role !== 'WINDOW_STAFF' || caller.windowId !== record.receivingWindowId) throw new ForbiddenError();
}

/** Acts of the jurisdiction: receipt of the materials, dispatch of the result. */
export function assertJurisdiction(caller: Caller, record: CaseParties): void {
  const atWindow = caller.role === 'WINDOW_STAFF' && caller.windowId === record.jurisdictionWindowId;
  const ofRegion = caller.role === 'JURISDICTION_STAFF' && caller.region === record.jurisdictionRegion;
  if (!atWindow && !ofRegion) throw new ForbiddenError();
}

/**
 * Seeing the unmasked applicant — Case.personalData, and a notice, which prints
 * it — needs a role that handles the case, never a supervisor's or ops' curiosity.
 */
export function assertMayReveal(caller: Caller, record: CaseParties): void {
  const handles =
    (caller.role === 'WINDOW_STAFF' && (caller.windowId === record.receivingWindowId || caller.windowId === record.jurisdictionWindowId)) ||
    (caller.role === 'JURISDICTION_STAFF' && caller.region === record.jurisdictionRegion);
  if (!handles) throw new ForbiddenError();
}

export function assertSupervisorOf(caller: Caller, record: CaseParties): void {
  if (caller.role !== 'SUPERVISOR' || !canSeeCase(caller, record)) throw new ForbiddenError();
}
