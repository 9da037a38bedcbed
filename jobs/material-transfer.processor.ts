import { UnrecoverableError, type Job } from 'bullmq';
import { PlatformRejectedError } from '../adapters/platform.errors.js';
import type { PlatformPort } from '../adapters/platform.port.js';
import { NotFoundError } from '../domain/errors.js';
import type { Region } from '../domain/region.js';
import type { CaseWorkflow } from '../subgraphs/cases/case-workflow.service.js';
import type { MaterialTransferJob } from './material-transfer.queue.js';

export interface MaterialTransferResult {
  platformCaseId: string;
}

const ACTOR = 'system:material-transfer';

/**
 * Forwards a dispatched case and its electronic materials to the owning
 * platform. The business number is the platform's idempotency key, so a retry
 * after a timeout or a crash finds the case the first attempt created instead
 * of creating a second one.
 */
export function materialTransferProcessor(deps: { workflow: CaseWorkflow; platforms: Record<Region, PlatformPort> }) {
  return async (job: Job<MaterialTransferJob>): Promise<MaterialTransferResult> => {
    const { businessNo } = job.data;
    let record;
    try {
      record = await deps.workflow.get(businessNo);
    } catch (error) {
      if (error instanceof NotFoundError) throw new UnrecoverableError(`case ${businessNo} does not exist`);
      throw error;
    }
    if (record.platformCaseId) return { platformCaseId: record.platformCaseId };
    if (record.stage !== 'IN_TRANSFER') {
      throw new UnrecoverableError(`case ${businessNo} is ${record.stage}, not in transfer`);
    }

    let forwarded;
    try {
      forwarded = await deps.platforms[record.jurisdictionRegion].submitCase({
        idempotencyKey: record.businessNo,
        businessNo: record.businessNo,
        itemCode: record.itemCode,
        applicant: record.applicant,
        contact: record.contact,
        receivingWindowId: record.receivingWindowId,
        receivingDivisionCode: record.receivingDivisionCode,
        materials: record.materials
          .filter((material) => material.verdict === 'QUALIFIED')
          .map((material, index) => ({
            name: material.name,
            form: material.form,
            copies: material.copies,
            electronicRef: `${record.businessNo}/M${index + 1}`,
          })),
        submittedAt: record.transfer?.dispatchedAt ?? record.appliedAt,
      });
    } catch (error) {
      if (error instanceof PlatformRejectedError) {
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      throw error;
    }
    await deps.workflow.recordForwarded(businessNo, forwarded.platformCaseId, ACTOR);
    return { platformCaseId: forwarded.platformCaseId };
  };
}
