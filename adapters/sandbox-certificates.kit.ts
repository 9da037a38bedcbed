/**
 * How the platform sandboxes issue an e-certificate when a case is issued (出件): its
 * validity (from the Beijing date of issue; five years for a 行政许可, long-term otherwise),
 * a verification code (newVerificationCode, 100 bits), and its PDF (renderCertificatePdf)
 * kept in the sandbox's file store so that downloadFile(fileId) serves it. Numbers and the
 * wire shape stay in each sandbox.
 *
 * Development and integration tests only; nothing in it is for production.
 */
import { newVerificationCode } from '../domain/certificates/index.js';
import { renderCertificatePdf, type CertificatePdfOptions } from './certificate.pdf.js';
import type { PlatformCertificate } from './platform.port.js';
import type { SandboxFileStore } from './sandbox-files.kit.js';

const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;

/** Where the certificates' QR codes point and the font they are set in: the defaults of lib/config.ts (CERTIFICATE_FONT_PATH, the gateway's port). */
export const SANDBOX_CERTIFICATE_RENDERING: CertificatePdfOptions = {
  verifyBaseUrl: 'http://127.0.0.1:4000',
  fontPath: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
};

export interface CertificateRequest {
  businessNo: string;
  number: string;
  holderName: string;
  itemCode: string;
  itemName: string;
  department: string;
  powerType: string;
  issuedAt: number;
}

/** The certificate, its PDF registered in `store` (rendered in the background; downloads wait for it). */
export function issueSandboxCertificate(
  store: SandboxFileStore,
  request: CertificateRequest,
  rendering: CertificatePdfOptions = SANDBOX_CERTIFICATE_RENDERING,
): Omit<PlatformCertificate, 'revokedAt' | 'revocationReason'> {
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
    verificationCode: newVerificationCode(),
    issuedAt: new Date(request.issuedAt).toISOString(),
  };
  const fileId = store.make(
    { businessNo: request.businessNo, material: `电子证照 ${request.number}`, contentType: 'application/pdf' },
    renderCertificatePdf({ ...certificate, itemCode: request.itemCode, revokedAt: null, revocationReason: null }, rendering),
  );
  return { fileId, ...certificate };
}
