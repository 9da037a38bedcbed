import { InputError } from '../errors.js';

/** A verification code that cannot be one: refused before any lookup, so probing with junk costs no read. */
export class MalformedVerificationCodeError extends InputError {
  constructor(options?: { cause?: unknown }) {
    super('CERTIFICATE.MALFORMED_CODE', '核验码格式不正确：应为 20 位字母数字（可按 4 位分组）', options);
  }
}
