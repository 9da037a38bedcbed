import { UnrecoverableError } from 'bullmq';
import type { PlatformCaseRecord, PlatformEvent, PlatformPort } from '../adapters/platform.port.js';
import { parseVerificationCode } from '../domain/certificates/index.js';
import type { Region } from '../domain/region.js';
import type { CaseRecord } from '../ledger/cases/case.model.js';
import type { CertificateStore } from '../ledger/certificates/certificate.store.js';
import type { CaseWorkflow } from '../ledger/workflow/case-workflow.service.js';
import { acceptFile, type FilePolicy } from '../lib/files/file-check.js';
import type { FileStore } from '../lib/files/file-store.js';

export interface CertificateSyncDeps {
  workflow: CaseWorkflow;
  platforms: Record<Region, PlatformPort>;
  files: FileStore;
  filePolicy: FilePolicy;
  certificates: CertificateStore;
}

/**
 * Takes the 电子证照 a platform issued into the ledger: its PDF fetched and kept
 * by its digest (checked like any file), its code registered for the public
 * verify page, then the certificate recorded on the case. Each step is
 * idempotent and the case is written last, so a job that dies half way does
 * it all again and a case never shows a certificate that cannot be verified.
 */
export async function syncCertificate(deps: CertificateSyncDeps, record: CaseRecord, platform: PlatformCaseRecord, actor: string): Promise<CaseRecord> {
  const issued = platform.certificate;
  if (!issued || record.certificate) return record;
  const verificationCode = parseVerificationCode(issued.verificationCode);
  const file = await deps.platforms[record.jurisdictionRegion].downloadFile(issued.fileId);
  const stored = await acceptFile(deps.files, file.body, deps.filePolicy, { caseHeldBytes: 0, expectedSha256: file.sha256 });
  if (stored.type !== 'PDF') throw new UnrecoverableError(`CERTIFICATE.NOT_PDF: ${record.jurisdictionRegion} sent the certificate of ${record.businessNo} as ${stored.type}`);
  await deps.certificates.record(record.businessNo, {
    number: issued.number,
    holderName: issued.holderName,
    holderIdNumber: record.applicant.idNumber,
    itemCode: record.itemCode,
    itemName: issued.itemName,
    department: issued.department,
    validFrom: issued.validFrom,
    validUntil: issued.validUntil,
    verificationCode,
    issuedAt: issued.issuedAt,
    revokedAt: issued.revokedAt,
    revocationReason: issued.revocationReason,
  });
  const { fileId, ...fields } = issued;
  const updated = await deps.workflow.recordCertificate(
    record.businessNo,
    { ...fields, verificationCode, revokedAt: null, revocationReason: null, platformFileId: fileId, sha256: stored.sha256, size: stored.size },
    actor,
  );
  if (!issued.revokedAt) return updated;
  return deps.workflow.recordCertificateRevoked(record.businessNo, { revokedAt: issued.revokedAt, reason: issued.revocationReason ?? '' }, actor);
}

/** A revocation pushed by the platform: the verify page says so first, then the case. */
export async function revokeCertificate(deps: Pick<CertificateSyncDeps, 'workflow' | 'certificates'>, event: PlatformEvent, actor: string): Promise<CaseRecord> {
  const revoked = event.certificateRevoked!;
  await deps.certificates.revoke({ code: parseVerificationCode(revoked.verificationCode) }, revoked.reason, revoked.revokedAt);
  return deps.workflow.recordCertificateRevoked(event.businessNo, { revokedAt: revoked.revokedAt, reason: revoked.reason }, actor);
}
