import { UnrecoverableError, type Job } from 'bullmq';
import type { PlatformEvent } from '../adapters/platform.port.js';
import { DomainError } from '../domain/errors.js';
import type { CaseWorkflow } from '../ledger/workflow/case-workflow.service.js';

/**
 * Applies a verified platform push to its case. A push that names an unknown
 * case or cannot apply to the case's stage is dead-lettered for ops, not retried:
 * retrying cannot make it fit.
 */
export function platformSyncProcessor(deps: { workflow: CaseWorkflow }) {
  return async (job: Job<PlatformEvent>): Promise<{ stage: string | null }> => {
    try {
      const record = await deps.workflow.applyPlatformEvent(job.data, `platform:${job.data.region}`);
      return { stage: record?.stage ?? null };
    } catch (error) {
      if (error instanceof DomainError && error.code !== 'CASE.CONFLICT') {
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      throw error;
    }
  };
}
