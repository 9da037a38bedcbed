import type { CaseWorkflow } from '../ledger/workflow/case-workflow.service.js';
import type { CaseEffects } from './courier-sync.processor.js';

const ACTOR = 'system:courier';

/**
 * The case side of a shipment's milestones. Each checks first whether the case
 * already has the change — the platform accepting the case also proves the
 * materials arrived — so a repeated call is a no-op rather than an invalid
 * transition.
 */
export function courierCaseEffects(workflow: CaseWorkflow): CaseEffects {
  return {
    paperCollected: async (businessNo, at) => {
      await workflow.recordPaperSent(businessNo, at, ACTOR);
    },
    materialsDelivered: async (businessNo, at) => {
      await workflow.confirmMaterialsReceived(businessNo, ACTOR, at);
    },
    resultDeliveredToWindow: async (businessNo) => {
      const record = await workflow.get(businessNo);
      if (record.stage === 'RESULT_DISPATCHED') await workflow.recordResultAtWindow(businessNo, ACTOR);
    },
    resultDeliveredToApplicant: async (businessNo) => {
      const record = await workflow.get(businessNo);
      if (!record.result?.deliveredAt) await workflow.recordDelivered(businessNo, ACTOR);
    },
  };
}
