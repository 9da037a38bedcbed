import type { Redis } from 'ioredis';
import { publicHolderName, type Certificate, type VerificationCode } from '../../domain/certificates/index.js';
import { DomainError, NotFoundError } from '../../domain/errors.js';

/** What the verify page needs of a certificate, under its code: one GET answers a scan. */
export interface CertificateEntry {
  businessNo: string;
  number: string;
  /** Already masked (publicHolderName): the public lookup never holds a person's full name. */
  holder: string;
  itemName: string;
  validUntil: string | null;
  revokedAt: string | null;
  revocationReason: string | null;
}

export type CertificateRef = { number: string } | { code: VerificationCode };

export class CertificateCodeTakenError extends DomainError {
  constructor() {
    super('CERTIFICATE.CODE_TAKEN', '核验码已被另一份电子证照使用');
  }
}

export class CertificateNumberTakenError extends DomainError {
  constructor(number: string) {
    super('CERTIFICATE.NUMBER_TAKEN', `证照编号 ${number} 已登记了另一个核验码`);
  }
}

export class CertificateNotFoundError extends NotFoundError {
  constructor() {
    super('CERTIFICATE.NOT_FOUND', '电子证照不存在');
  }
}

/** A certificate's code and number are bound in one script: both keys carry the hash tag {certificates}, one slot on Redis Cluster. */
const codeKey = (code: string) => `certificate:{certificates}:code:${code}`;
const numberKey = (number: string) => `certificate:{certificates}:number:${number}`;

/**
 * A certificate seen again (the same code for the same case and number) is
 * left as it is, revocation included; a code or a number already bound to
 * another certificate is refused. KEYS: code, number. ARGV: entry, businessNo,
 * number, code.
 */
const RECORD = `
local held = redis.call('GET', KEYS[1])
if held then
  local entry = cjson.decode(held)
  if entry.businessNo == ARGV[2] and entry.number == ARGV[3] then return 'DUPLICATE' end
  return 'CODE_TAKEN'
end
local owner = redis.call('GET', KEYS[2])
if owner and owner ~= ARGV[4] then return 'NUMBER_TAKEN' end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[4])
return 'RECORDED'
`;

/** The first revocation stands: a repeated push neither moves its time nor its reason. KEYS: code. ARGV: at, reason. */
const REVOKE = `
local held = redis.call('GET', KEYS[1])
if not held then return 'MISSING' end
local entry = cjson.decode(held)
if entry.revokedAt ~= nil and entry.revokedAt ~= cjson.null then return 'ALREADY_REVOKED' end
entry.revokedAt = ARGV[1]
entry.revocationReason = ARGV[2]
redis.call('SET', KEYS[1], cjson.encode(entry))
return 'REVOKED'
`;

export class CertificateStore {
  constructor(private readonly redis: Redis) {}

  /** Binds the certificate's code to it; 'DUPLICATE' when this very certificate is already recorded. */
  async record(businessNo: string, cert: Certificate): Promise<'RECORDED' | 'DUPLICATE'> {
    const entry: CertificateEntry = {
      businessNo,
      number: cert.number,
      holder: publicHolderName(cert),
      itemName: cert.itemName,
      validUntil: cert.validUntil,
      revokedAt: cert.revokedAt,
      revocationReason: cert.revocationReason,
    };
    const code = cert.verificationCode;
    const result = await this.redis.eval(RECORD, 2, codeKey(code), numberKey(cert.number), JSON.stringify(entry), businessNo, cert.number, code);
    if (result === 'CODE_TAKEN') throw new CertificateCodeTakenError();
    if (result === 'NUMBER_TAKEN') throw new CertificateNumberTakenError(cert.number);
    return result as 'RECORDED' | 'DUPLICATE';
  }

  async lookup(code: VerificationCode): Promise<CertificateEntry | null> {
    const value = await this.redis.get(codeKey(code));
    return value === null ? null : (JSON.parse(value) as CertificateEntry);
  }

  /** Marks the certificate revoked, by its number or its code; a second revocation changes nothing. */
  async revoke(ref: CertificateRef, reason: string, at: string): Promise<'REVOKED' | 'ALREADY_REVOKED'> {
    const code = 'code' in ref ? ref.code : await this.redis.get(numberKey(ref.number));
    if (code === null) throw new CertificateNotFoundError();
    const result = await this.redis.eval(REVOKE, 1, codeKey(code), at, reason);
    if (result === 'MISSING') throw new CertificateNotFoundError();
    return result as 'REVOKED' | 'ALREADY_REVOKED';
  }
}
