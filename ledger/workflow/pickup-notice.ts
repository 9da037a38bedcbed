import { verifyUrl, type VerificationCode } from '../../domain/certificates/index.js';
import type { NotificationJob } from './ports.js';
import { InputError } from '../../domain/errors.js';
import type { CaseRecord } from '../cases/case.model.js';

const MOBILE = /^1[3-9]\d{9}$/;

/**
 * The SMS telling the applicant the result waits at the receiving window. Its
 * idempotency key (also its job id, where BullMQ forbids colons) names the case
 * and the template, so however often the mutation or its job is retried, the
 * gateway sends it once.
 */
export function pickupNoticeMessage(record: CaseRecord, windowName: string, verifyBaseUrl: string): NotificationJob {
  if (!MOBILE.test(record.contact.phone)) {
    throw new InputError('CASE.CONTACT_NOT_MOBILE', `办件 ${record.businessNo} 的联系电话不是手机号码，无法短信通知领取，请电话通知申请人`);
  }
  return {
    idempotencyKey: `notify-${record.businessNo}-PICKUP_READY-SMS`,
    channel: 'SMS',
    recipient: { kind: 'CASE_CONTACT', businessNo: record.businessNo },
    // With an e-certificate the message names it and where its QR code leads, the public verify page.
    ...(record.certificate
      ? {
          template: 'PICKUP_READY_CERTIFICATE' as const,
          params: { itemName: record.item.name, windowName, certificateNumber: record.certificate.number, verifyUrl: verifyUrl(verifyBaseUrl, record.certificate.verificationCode as VerificationCode) },
        }
      : { template: 'PICKUP_READY' as const, params: { itemName: record.item.name, windowName } }),
    businessNo: record.businessNo,
    meets: 'APPLICANT_PICKUP_NOTICE',
  };
}
