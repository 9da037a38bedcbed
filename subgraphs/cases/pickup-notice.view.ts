import { verifyUrl, type VerificationCode } from '../../domain/certificates/index.js';
import { renderPickupNotice } from '../../domain/notices/index.js';
import { verifyQrSvg } from '../../lib/certificate-qr.js';
import type { CaseRecord } from '../../ledger/cases/case.model.js';
import type { WindowRecord } from '../../ledger/windows/window.model.js';

/** The notice id of the pickup notice in `/notices/<businessNo>/<noticeId>` and in the audit; stored notices are N1, N2, …. */
export const PICKUP_NOTICE_ID = 'pickup';

/** The result waits at the receiving window: held there, or handed over (the applicant may need the notice again). */
export function hasPickupNotice(record: CaseRecord): boolean {
  return record.stage === 'AWAITING_PICKUP' || (record.stage === 'DELIVERED' && record.result?.method === 'PICKUP');
}

/**
 * The pickup notice as printed now. A revoked certificate is left off: its QR code
 * would send the applicant to a page that says it is no longer valid.
 */
export async function renderPickup(record: CaseRecord, receiving: WindowRecord | null, verifyBaseUrl: string, now: Date): Promise<string> {
  const certificate = record.certificate && !record.certificate.revokedAt ? record.certificate : null;
  const code = certificate?.verificationCode as VerificationCode | undefined;
  return renderPickupNotice({
    businessNo: record.businessNo,
    scope: record.scope,
    applicantName: record.applicant.name,
    contactName: record.contact.name,
    contactPhone: record.contact.phone,
    itemName: record.item.name,
    receivingWindow: {
      name: receiving?.name ?? record.receivingWindowId,
      address: receiving ? `${receiving.address}（${receiving.hall}）` : '',
      phone: receiving?.contact.phone ?? '',
      hours: receiving?.hours ?? null,
    },
    certificate:
      certificate && code
        ? {
            number: certificate.number,
            validUntil: certificate.validUntil,
            verifyUrl: verifyUrl(verifyBaseUrl, code),
            qrDataUri: `data:image/svg+xml;base64,${Buffer.from(await verifyQrSvg(verifyBaseUrl, code)).toString('base64')}`,
          }
        : null,
    issuedAt: now.toISOString(),
  });
}
