/**
 * How the platform sandboxes issue an e-certificate when a case is issued (出件): its
 * validity (from the Beijing date of issue; five years for a 行政许可, long-term otherwise),
 * a verification code of 120 random bits, and its PDF kept in the sandbox's file store
 * so that downloadFile(fileId) serves it. Numbers and the wire shape stay in each sandbox.
 *
 * Development and integration tests only; nothing in it is for production.
 */
import { randomBytes } from 'node:crypto';
import type { PlatformCertificate } from './platform.port.js';
import { renderSandboxCertificatePdf } from './sandbox-certificate.pdf.js';
import type { SandboxFileStore } from './sandbox-files.kit.js';

const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;

/** Not guessable: 120 bits, URL-safe, 20 characters. */
export function newSandboxVerificationCode(): string {
  return randomBytes(15).toString('base64url');
}

export interface CertificateRequest {
  platform: string;
  businessNo: string;
  number: string;
  holderName: string;
  itemName: string;
  department: string;
  powerType: string;
  issuedAt: number;
}

/** The certificate, its PDF registered in `store` (written in the background; downloads wait for it). */
export function issueSandboxCertificate(store: SandboxFileStore, request: CertificateRequest): Omit<PlatformCertificate, 'revokedAt' | 'revocationReason'> {
  const day = new Date(request.issuedAt + BEIJING_OFFSET_MS);
  const validFrom = day.toISOString().slice(0, 10);
  const until = new Date(day);
  until.setUTCFullYear(until.getUTCFullYear() + 5);
  until.setUTCDate(until.getUTCDate() - 1);
  const certificate = {
    number: request.number,
    holderName: request.holderName,
    itemName: request.itemName,
    department: request.department,
    validFrom,
    validUntil: request.powerType === '行政许可' ? until.toISOString().slice(0, 10) : null,
    verificationCode: newSandboxVerificationCode(),
    issuedAt: new Date(request.issuedAt).toISOString(),
  };
  const fileId = store.make(
    { businessNo: request.businessNo, material: `电子证照 ${request.number}`, contentType: 'application/pdf' },
    renderSandboxCertificatePdf({ platform: request.platform, ...certificate }),
  );
  return { fileId, ...certificate };
}
