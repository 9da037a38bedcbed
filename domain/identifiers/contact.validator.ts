import { InvalidIdentifierError } from './identifiers.errors.js';

const MOBILE = /^(?:\+?86)?(1[3-9]\d{9})$/;
/**
 * Area codes are 010 and 02X (three digits) or 03XX–09XX (four digits), so a
 * number written without the hyphen still splits one way only; a local number
 * (7 or 8 digits) never begins with 0, the trunk prefix. Windows often publish
 * an extension.
 */
const LANDLINE = /^\(?(010|02\d|0[3-9]\d{2})\)?-?([1-9]\d{6,7})(?:-(\d{1,6}))?$/;

/**
 * A mainland mobile (returned as its 11 digits, without +86, spaces or hyphens) or
 * a landline with area code (returned as 023-12345678, extension kept as -801).
 */
export function validatePhone(value: unknown): string {
  const phone = typeof value === 'string' ? value.replace(/\s+/g, '') : '';
  if (!phone) throw new InvalidIdentifierError('PHONE', 'MISSING', '联系电话不能为空');
  const mobile = MOBILE.exec(phone.replaceAll('-', ''));
  if (mobile) return mobile[1]!;
  const landline = LANDLINE.exec(phone);
  if (landline) {
    const [, area, local, extension] = landline;
    return extension ? `${area}-${local}-${extension}` : `${area}-${local}`;
  }
  throw new InvalidIdentifierError(
    'PHONE',
    'FORMAT',
    '联系电话格式不正确（应为 11 位手机号码，或带区号的固定电话，如 023-12345678、0837-2800006）',
  );
}

export function validatePostcode(value: unknown): string {
  const postcode = typeof value === 'string' ? value.trim() : '';
  if (!postcode) throw new InvalidIdentifierError('POSTCODE', 'MISSING', '邮政编码不能为空');
  if (!/^\d{6}$/.test(postcode)) {
    throw new InvalidIdentifierError('POSTCODE', 'FORMAT', `邮政编码应为 6 位数字: ${JSON.stringify(postcode)}`);
  }
  return postcode;
}

const EMAIL_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const EMAIL_DOMAIN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

/**
 * The address forms a mail server will actually deliver to (no quoted local parts,
 * no IP-literal domains). The domain is lower-cased; the local part is kept as
 * typed because servers may treat its case as significant.
 */
export function validateEmail(value: unknown): string {
  const email = typeof value === 'string' ? value.trim() : '';
  if (!email) throw new InvalidIdentifierError('EMAIL', 'MISSING', '电子邮箱地址不能为空');
  const at = email.lastIndexOf('@');
  const local = email.slice(0, Math.max(at, 0));
  const domain = email.slice(at + 1);
  if (at < 1 || email.length > 254 || local.length > 64 || !EMAIL_LOCAL.test(local) || !EMAIL_DOMAIN.test(domain)) {
    throw new InvalidIdentifierError('EMAIL', 'FORMAT', '电子邮箱地址格式不正确（应如 name@example.gov.cn）');
  }
  return `${local}@${domain.toLowerCase()}`;
}
