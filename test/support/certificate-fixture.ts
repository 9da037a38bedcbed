import { newVerificationCode, type Certificate } from '../../domain/certificates/index.js';

let serial = 0;

/** A certificate of 四川省水利厅 for a person, with a fresh code and number unless given. */
export function certificateFixture(overrides: Partial<Certificate> = {}): Certificate {
  serial++;
  return {
    number: `川水质检乙〔2026〕第${String(serial).padStart(4, '0')}-${newVerificationCode().slice(0, 6)}号`,
    holderName: '张小三',
    holderIdNumber: '110101199003074514',
    itemCode: '510000-00001',
    itemName: '水利工程质量检测单位乙级资质认定',
    department: '四川省水利厅',
    validFrom: '2026-01-05',
    validUntil: '2031-01-04',
    verificationCode: newVerificationCode(),
    issuedAt: '2026-01-05T10:00:00+08:00',
    revokedAt: null,
    revocationReason: null,
    ...overrides,
  };
}
