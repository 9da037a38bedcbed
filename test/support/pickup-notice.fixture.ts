import { parseVerificationCode, verifyUrl } from '../../domain/certificates/index.js';
import type { PickupNoticeData } from '../../domain/notices/index.js';
import { verifyQrSvg } from '../../lib/certificate-qr.js';

export const VERIFY_BASE = 'https://tongban.example.gov.cn';
export const VERIFY_CODE = parseVerificationCode('7K3M-Q9TX-2B4C-D5EF-6GH8');
export const HOSTILE = '重庆渝水工程检测有限公司<script>window.injected = true</script>';

const WEEKDAY = [['09:00', '12:00'], ['13:30', '17:30']] as const;

/** A pickup notice without a certificate, its applicant's name an injection attempt. */
export const pickupWithout: PickupNoticeData = {
  businessNo: 'TB2025112450000000012',
  scope: 'SICHUAN_CHONGQING',
  applicantName: HOSTILE,
  contactName: '李明',
  contactPhone: '13812345678',
  itemName: '水利工程质量检测单位乙级资质认定（川渝通办）',
  receivingWindow: {
    name: '重庆市政务服务中心水利局“川渝通办”窗口',
    address: '重庆市渝北区青竹东路 6 号（重庆市政务服务中心 2 楼 B 区）',
    phone: '023-63211234',
    hours: { mon: WEEKDAY, tue: WEEKDAY, wed: WEEKDAY, thu: WEEKDAY, fri: WEEKDAY, sat: [['09:00', '12:00']], sun: [] },
  },
  certificate: null,
  issuedAt: '2025-12-01T10:05:00+08:00',
};

export async function qrDataUri(): Promise<string> {
  return `data:image/svg+xml;base64,${Buffer.from(await verifyQrSvg(VERIFY_BASE, VERIFY_CODE)).toString('base64')}`;
}

export async function pickupWith(): Promise<PickupNoticeData> {
  return {
    ...pickupWithout,
    certificate: { number: 'SL-2025-000123', validUntil: '2030-12-01', verifyUrl: verifyUrl(VERIFY_BASE, VERIFY_CODE), qrDataUri: await qrDataUri() },
  };
}
