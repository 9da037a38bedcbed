import { instantToEpochMs, type Instant } from '../calendar/index.js';
import { InvalidIdentifierError, validateUscc } from '../identifiers/index.js';
import { maskApplicant } from '../masking.js';
import type { VerificationCode } from './verification-code.js';

/** 电子证照 as the owning platform issues it with a decision (seed 003). */
export interface Certificate {
  /** 证照编号, the platform's. */
  number: string;
  holderName: string;
  /** 身份证号 or 统一社会信用代码; tells a person from an organisation. */
  holderIdNumber?: string;
  itemCode: string;
  itemName: string;
  /** 发证机关. */
  department: string;
  /** Civil dates, YYYY-MM-DD in Asia/Shanghai. */
  validFrom: string;
  /** The last day it is valid; null: 长期有效. */
  validUntil: string | null;
  verificationCode: VerificationCode;
  /** ISO instants. */
  issuedAt: string;
  revokedAt: string | null;
  revocationReason: string | null;
}

export type CertificateStatus = 'VALID' | 'REVOKED' | 'EXPIRED';

const DAY_MS = 86_400_000;

/**
 * Revocation wins over everything; otherwise a certificate is valid through the
 * whole of its last day in Shanghai, to the millisecond before the next midnight
 * there, and a long-term one (validUntil null) never expires.
 */
export function certificateStatus(cert: Pick<Certificate, 'validUntil' | 'revokedAt'>, now: Instant): CertificateStatus {
  if (cert.revokedAt) return 'REVOKED';
  if (cert.validUntil === null) return 'VALID';
  const expiresAt = instantToEpochMs(`${cert.validUntil}T00:00:00+08:00`) + DAY_MS;
  return instantToEpochMs(now) >= expiresAt ? 'EXPIRED' : 'VALID';
}

/**
 * The holder as anyone who scans the code may see it: a person's (and a
 * 个体工商户's) name masked by the one rule in domain/masking.ts, an
 * organisation's in full, as its registration is public. Without an id number
 * to tell, the holder is taken for a person: masking too much is the safe mistake.
 */
export function publicHolderName(cert: Pick<Certificate, 'holderName' | 'holderIdNumber'>): string {
  const idNumber = cert.holderIdNumber ?? '';
  return maskApplicant({ kind: isUscc(idNumber) ? 'ORGANISATION' : 'PERSON', name: cert.holderName, idNumber }).name;
}

function isUscc(idNumber: string): boolean {
  try {
    validateUscc(idNumber);
    return true;
  } catch (error) {
    if (error instanceof InvalidIdentifierError) return false;
    throw error;
  }
}
