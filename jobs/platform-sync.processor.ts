import { UnrecoverableError, type Job } from 'bullmq';
import type { PlatformEvent } from '../adapters/platform.port.js';
import { DomainError } from '../domain/errors.js';
import type { CaseRecord } from '../ledger/cases/case.model.js';
import { revokeCertificate, syncCertificate, type CertificateSyncDeps } from './certificate-sync.js';

/** Worth another try: another writer got there first, or the bytes of a certificate arrived damaged. */
const RETRYABLE = new Set(['CASE.CONFLICT', 'FILE.DIGEST_MISMATCH']);

/**
 * Applies a verified platform push to its case; an ISSUED one also takes in the
 * e-certificate, a revocation marks it revoked. A push that names an unknown
 * case or cannot apply to the case's stage is dead-lettered for ops, not
 * retried: retrying cannot make it fit.
 */
export function platformSyncProcessor(deps: CertificateSyncDeps) {
  return async (job: Job<PlatformEvent>): Promise<{ stage: string | null }> => {
    const event = job.data;
    const actor = `platform:${event.region}`;
    try {
      if (event.certificateRevoked) return { stage: (await revokeCertificate(deps, event, actor)).stage };
      const record = await deps.workflow.applyPlatformEvent(event, actor);
      if (record && event.stage === 'ISSUED') return { stage: (await withCertificate(deps, record, actor)).stage };
      return { stage: record?.stage ?? null };
    } catch (error) {
      if (error instanceof DomainError && !RETRYABLE.has(error.code)) {
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      throw error;
    }
  };
}

/** The platform's record of an issued case carries its certificate, when the item issues one. */
async function withCertificate(deps: CertificateSyncDeps, record: CaseRecord, actor: string): Promise<CaseRecord> {
  if (record.certificate || !record.platformCaseId) return record;
  const [platform] = await deps.platforms[record.jurisdictionRegion].getCasesByIds([record.platformCaseId]);
  if (!platform || platform.businessNo !== record.businessNo) return record;
  return syncCertificate(deps, record, platform, actor);
}
