import type { PlatformEvent, PlatformStage } from '../../adapters/platform.port.js';
import { InputError, NotFoundError } from '../../domain/errors.js';
import { canApply, type CaseAction } from '../../domain/workflow/case-stages.js';
import type { CaseRecord } from '../cases/case.model.js';
import type { CaseTransitions } from './case-transition.js';

/** Platform stages in the order they happen, so a late push never moves a case backwards. */
const PLATFORM_ORDER: Record<PlatformStage, number> = {
  SUBMITTED: 0,
  ACCEPTED: 1,
  REVIEWING: 2,
  DECIDED: 3,
  REJECTED: 3,
  CERTIFICATE_MADE: 4,
  SEALED: 5,
  ISSUED: 6,
};

/** 受理 to 决定 at the owning platform: its pushed or polled stages move the case. */
export class JurisdictionStage {
  constructor(private readonly t: CaseTransitions) {}

  /**
   * A status change from the owning platform, pushed or polled. Applying the same
   * change twice, or an older one after a newer, changes nothing.
   */
  async applyPlatformEvent(event: PlatformEvent, actor: string): Promise<CaseRecord | null> {
    const current = await this.t.deps.store.get(event.businessNo);
    if (!current) throw new NotFoundError('CASE.NOT_FOUND', `办件 ${event.businessNo} 不存在`);
    if (current.platformCaseId && current.platformCaseId !== event.platformCaseId) {
      throw new InputError('PLATFORM.CASE_MISMATCH', `平台办件号 ${event.platformCaseId} 与办件 ${event.businessNo} 不符`);
    }
    if (current.platformStage && PLATFORM_ORDER[event.stage] <= PLATFORM_ORDER[current.platformStage]) return current;

    const action: CaseAction =
      event.stage === 'REJECTED' ? 'REFUSE' : event.stage === 'DECIDED' ? 'DECIDE' : 'PLATFORM_PROGRESS';
    return this.t.apply(event.businessNo, action, actor, (record, now) => {
      const at = this.t.outsideInstant('platform', event.at, record, now);
      let next: CaseRecord = { ...record, platformCaseId: event.platformCaseId, platformStage: event.stage };
      if (next.stage === 'IN_TRANSFER' && this.platformProvesReceipt(next, event.stage)) next = this.t.receivedAtJurisdiction(next, at).record;
      if (event.stage === 'DECIDED') next = { ...next, stage: 'DECIDED', decision: event.decision };
      if (event.stage === 'REJECTED') {
        next = { ...next, stage: 'REFUSED', refusalReasons: event.reasons, clock: this.t.clock(next, 'STOP', at) };
      }
      return {
        record: next,
        type: `PLATFORM_${event.stage}`,
        data: { eventId: event.eventId, platformAt: event.at, decision: event.decision, reasons: event.reasons, receivedAt: now },
      };
    }, action === 'PLATFORM_PROGRESS' ? undefined : () => canApply(current.stage, 'MATERIALS_RECEIVED'));
  }

  /**
   * Whether a platform stage shows the jurisdiction window has the materials. The
   * platform's acceptance of the electronic record is their arrival when they
   * travel online (ONLINE, and BOTH, where the paper follows only for review or
   * archiving: seed 000 二(二)); paper (OFFLINE) has arrived only at the courier's
   * 签收 or the jurisdiction's confirmation. A decision proves the arrival either way.
   */
  private platformProvesReceipt(record: CaseRecord, stage: PlatformStage): boolean {
    if (stage === 'SUBMITTED') return false;
    if (record.transfer?.channel !== 'OFFLINE') return true;
    return PLATFORM_ORDER[stage] >= PLATFORM_ORDER.DECIDED;
  }
}
