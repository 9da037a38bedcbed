import { UnrecoverableError, type Job } from 'bullmq';
import { DomainError } from '../domain/errors.js';
import { needsAttention, type PendingEffect, type ShipmentRecord, type ShipmentState } from '../ledger/shipments/shipment.model.js';
import type { ShipmentStore } from '../ledger/shipments/shipment.store.js';
import type { CourierSyncJob } from '../queues/courier-events.queue.js';

/**
 * What a shipment's milestones do to its case. Each is called once per milestone
 * in the normal course, and again only when the job that reached it is retried
 * before it settled (a crash, a failed call): implementations must be idempotent.
 * `at` is the courier's time of the event (ISO-8601, +08:00).
 */
export interface CaseEffects {
  /** 揽收 of the materials: the paper has left (the case's `transfer.paperSentAt`). */
  paperCollected(businessNo: string, at: string): Promise<void>;
  /** 签收 of the materials at the jurisdiction window: the case clock resumes. */
  materialsDelivered(businessNo: string, at: string): Promise<void>;
  /** 签收 of the result at the receiving window: the 1-working-day pickup notice deadline starts. */
  resultDeliveredToWindow(businessNo: string, at: string): Promise<void>;
  /** 签收 of the result by the applicant. */
  resultDeliveredToApplicant(businessNo: string, at: string): Promise<void>;
}

export interface CourierSyncResult {
  state: ShipmentState;
  /** Events this job added; 0 when all were known (a duplicate). */
  added: number;
  /** 退回 or 异常: someone has to act. */
  attention: boolean;
}

/**
 * Applies tracking events, pushed or polled, to their shipment, then runs the
 * effects on the case that the events newly made due. The job id claims those
 * effects: a retry of this job runs what it left unsettled, and no other job —
 * a duplicate push, a poll that found the same events — runs them again. An
 * event for an unknown waybill, or one whose case does not match, is
 * dead-lettered for ops; polling recovers a shipment recorded after its push.
 */
export function courierSyncProcessor(deps: { shipments: ShipmentStore; effects: CaseEffects }) {
  return async (job: Job<CourierSyncJob>): Promise<CourierSyncResult> => {
    const { waybillNo, businessNo, events } = job.data;
    const claimant = String(job.id);
    const known = await deps.shipments.get(waybillNo);
    if (!known) throw new UnrecoverableError(`SHIPMENT.NOT_FOUND: 运单 ${waybillNo} 不是本系统下的单`);
    if (known.businessNo !== businessNo) {
      throw new UnrecoverableError(`SHIPMENT.CASE_MISMATCH: 运单 ${waybillNo} 属于办件 ${known.businessNo}，推送称 ${businessNo}`);
    }
    const outcome = await deps.shipments.track(waybillNo, events, claimant);
    if (!outcome) throw new UnrecoverableError(`SHIPMENT.NOT_FOUND: 运单 ${waybillNo} 不是本系统下的单`);
    for (const effect of outcome.effects) {
      await runEffect(deps.effects, outcome.record, effect);
      await deps.shipments.settle(waybillNo, effect.milestone, claimant);
    }
    return { state: outcome.record.state, added: outcome.added.length, attention: needsAttention(outcome.record) };
  };
}

async function runEffect(effects: CaseEffects, shipment: ShipmentRecord, effect: PendingEffect): Promise<void> {
  const { businessNo } = shipment;
  try {
    if (shipment.purpose === 'MATERIALS') {
      if (effect.milestone === 'COLLECTED') await effects.paperCollected(businessNo, effect.at);
      else await effects.materialsDelivered(businessNo, effect.at);
    } else if (effect.milestone === 'DELIVERED') {
      if (shipment.toWindowId) await effects.resultDeliveredToWindow(businessNo, effect.at);
      else await effects.resultDeliveredToApplicant(businessNo, effect.at);
    }
  } catch (error) {
    // A case that cannot take the change will not take it on a retry either; a concurrent write will.
    if (error instanceof DomainError && error.code !== 'CASE.CONFLICT') {
      throw new UnrecoverableError(`${error.code}: ${error.message}`);
    }
    throw error;
  }
}
