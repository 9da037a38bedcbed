import type { CaseCertificate, CaseRecord } from '../cases/case.model.js';
import type { CaseTransitions } from './case-transition.js';

/** 电子证照: the certificate the owning platform issued, and its revocation. */
export class CertificateStage {
  constructor(private readonly t: CaseTransitions) {}

  /** Recorded once: a certificate already on the case is kept, whatever a later read of the platform says. */
  recordCertificate(businessNo: string, certificate: CaseCertificate, actor: string): Promise<CaseRecord> {
    return this.t.apply(businessNo, 'PLATFORM_PROGRESS', actor, (record) => {
      if (record.certificate) return null;
      return {
        record: { ...record, certificate },
        type: 'CERTIFICATE_ISSUED',
        data: { number: certificate.number, validUntil: certificate.validUntil, sha256: certificate.sha256 },
      };
    });
  }

  /** The platform revoked it (its clock, bounded to ours); the first revocation stands. */
  recordCertificateRevoked(businessNo: string, revocation: { revokedAt: string; reason: string }, actor: string): Promise<CaseRecord> {
    return this.t.apply(businessNo, 'PLATFORM_PROGRESS', actor, (record, now) => {
      if (!record.certificate || record.certificate.revokedAt) return null;
      const at = this.t.outsideInstant('platform', revocation.revokedAt, record, now, record.certificate.issuedAt);
      return {
        record: { ...record, certificate: { ...record.certificate, revokedAt: at, revocationReason: revocation.reason } },
        type: 'CERTIFICATE_REVOKED',
        data: { number: record.certificate.number, reason: revocation.reason, platformAt: revocation.revokedAt },
      };
    });
  }
}
