import { randomBytes } from 'node:crypto';
import { MalformedVerificationCodeError } from './certificate.errors.js';

/**
 * Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand
 * from a certificate has no look-alikes, and case does not matter.
 */
export const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 20 symbols of 5 bits: 100 bits, far beyond what a rate-limited verify page lets anyone guess (≥ 80 asked). */
export const CODE_LENGTH = 20;
const GROUP = 4;

/** A verification code in canonical form: upper case, no separators. */
export type VerificationCode = string & { readonly __verificationCode: unique symbol };

/**
 * A fresh code from the operating system's CSPRNG. 256 is a multiple of 32, so
 * keeping the low five bits of each random byte leaves every symbol equally likely.
 */
export function newVerificationCode(random: (size: number) => Uint8Array = randomBytes): VerificationCode {
  const bytes = random(CODE_LENGTH);
  if (bytes.length !== CODE_LENGTH) throw new RangeError(`expected ${CODE_LENGTH} random bytes, got ${bytes.length}`);
  return Array.from(bytes, (byte) => CODE_ALPHABET[byte & 31]).join('') as VerificationCode;
}

/** Crockford's decoding aliases: what people type for 0 and 1. */
const ALIASES: Readonly<Record<string, string>> = { O: '0', I: '1', L: '1' };

/**
 * The canonical code a person or a scanner handed in: any case, grouped with
 * hyphens or spaces or not, O for 0 and I or L for 1. Throws
 * MalformedVerificationCodeError for anything else.
 */
export function parseVerificationCode(text: string): VerificationCode {
  if (typeof text !== 'string' || text.length > 64) throw new MalformedVerificationCodeError();
  const symbols = text
    .trim()
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/[OIL]/g, (char) => ALIASES[char]!);
  if (symbols.length !== CODE_LENGTH || [...symbols].some((char) => !CODE_ALPHABET.includes(char))) {
    throw new MalformedVerificationCodeError();
  }
  return symbols as VerificationCode;
}

/** Groups of four for print and reading aloud: 7K3M-Q9TX-…; parseVerificationCode takes it back. */
export function formatVerificationCode(code: VerificationCode): string {
  return code.match(new RegExp(`.{1,${GROUP}}`, 'g'))!.join('-');
}

/** Where a code is checked: the public page the QR codes on the certificate and the pickup notice point to. */
export function verifyUrl(baseUrl: string, code: VerificationCode): string {
  return `${baseUrl.replace(/\/+$/, '')}/verify/${code}`;
}
