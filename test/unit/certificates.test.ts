import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CODE_ALPHABET,
  CODE_LENGTH,
  certificateStatus,
  formatVerificationCode,
  MalformedVerificationCodeError,
  newVerificationCode,
  parseVerificationCode,
  publicHolderName,
  renderVerifyPage,
  VERIFY_PAGE_CSP,
} from '../../domain/certificates/index.js';
import { InputError } from '../../domain/errors.js';

describe('verification codes', () => {
  it('are 20 Crockford base32 symbols, 100 bits', () => {
    expect(CODE_ALPHABET).toHaveLength(32);
    expect(CODE_ALPHABET).not.toMatch(/[ILOU]/);
    expect(CODE_LENGTH * Math.log2(CODE_ALPHABET.length)).toBeGreaterThanOrEqual(80);
    for (let i = 0; i < 100; i++) expect(newVerificationCode()).toMatch(/^[0-9A-HJKMNP-TV-Z]{20}$/);
  });

  it('spread evenly over the alphabet and do not repeat', () => {
    const codes = Array.from({ length: 4000 }, () => newVerificationCode());
    expect(new Set(codes).size).toBe(codes.length);
    const counts = new Map<string, number>();
    for (const char of codes.join('')) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect(counts.size).toBe(32);
    // 80 000 symbols, 2 500 expected per symbol, σ ≈ 49: ±300 is six σ.
    for (const count of counts.values()) expect(Math.abs(count - 2500)).toBeLessThan(300);
  });

  it('map every random byte to one symbol by its low five bits', () => {
    const bytes = Uint8Array.from({ length: 20 }, (_, i) => i * 13);
    expect(newVerificationCode(() => bytes)).toBe(Array.from(bytes, (b) => CODE_ALPHABET[b & 31]).join(''));
    expect(() => newVerificationCode(() => new Uint8Array(19))).toThrow(RangeError);
  });

  it('parse back from any case, grouping and look-alike', () => {
    const code = newVerificationCode();
    expect(formatVerificationCode(code)).toMatch(/^(\w{4}-){4}\w{4}$/);
    expect(parseVerificationCode(formatVerificationCode(code))).toBe(code);
    expect(parseVerificationCode(` ${code.toLowerCase()} `)).toBe(code);
    expect(parseVerificationCode('o1il-0000 1111 ABCD-wxyz')).toBe('01110000' + '1111ABCDWXYZ');
  });

  it('refuse what cannot be a code', () => {
    for (const text of ['', 'ABCD', '0'.repeat(19), '0'.repeat(21), '0000-0000-0000-0000-000U', '0000000000000000000!', '00000000000000000000'.replace(/^0/, 'é'), 'x'.repeat(1000)]) {
      expect(() => parseVerificationCode(text), text).toThrow(MalformedVerificationCodeError);
    }
    const error = (() => {
      try {
        parseVerificationCode('nope');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ code: 'CERTIFICATE.MALFORMED_CODE', name: 'MalformedVerificationCodeError' });
  });
});

describe('certificateStatus', () => {
  const until = (validUntil: string | null, revokedAt: string | null = null) => ({ validUntil, revokedAt });

  it('is valid through the whole last day in Shanghai, expired from the next midnight there', () => {
    expect(certificateStatus(until('2026-06-30'), '2026-06-30T23:59:59.999+08:00')).toBe('VALID');
    expect(certificateStatus(until('2026-06-30'), '2026-06-30T15:59:59.999Z')).toBe('VALID');
    expect(certificateStatus(until('2026-06-30'), '2026-07-01T00:00:00+08:00')).toBe('EXPIRED');
    expect(certificateStatus(until('2026-06-30'), '2026-06-30T16:00:00Z')).toBe('EXPIRED');
    expect(certificateStatus(until('2026-06-30'), new Date('2025-01-01T00:00:00Z'))).toBe('VALID');
  });

  it('never expires a long-term certificate', () => {
    expect(certificateStatus(until(null), '2099-12-31T23:59:59+08:00')).toBe('VALID');
  });

  it('says revoked whatever the dates', () => {
    expect(certificateStatus(until('2026-06-30', '2026-01-02T10:00:00+08:00'), '2026-03-01T00:00:00+08:00')).toBe('REVOKED');
    expect(certificateStatus(until('2020-06-30', '2026-01-02T10:00:00+08:00'), '2026-03-01T00:00:00+08:00')).toBe('REVOKED');
    expect(certificateStatus(until(null, '2026-01-02T10:00:00+08:00'), '2026-03-01T00:00:00+08:00')).toBe('REVOKED');
  });

  it('refuses a date that is not one', () => {
    expect(() => certificateStatus(until('2026-02-30'), '2026-03-01T00:00:00+08:00')).toThrow(InputError);
  });
});

describe('publicHolderName', () => {
  it('masks a person as every other view of a person does', () => {
    expect(publicHolderName({ holderName: '张小三', holderIdNumber: '110101199003074514' })).toBe('张*三');
    expect(publicHolderName({ holderName: '欧阳小明' })).toBe('欧**明');
  });

  it('shows an organisation in full, but not a 个体工商户 trading under its own name', () => {
    expect(publicHolderName({ holderName: '某某检测有限公司', holderIdNumber: '91350100M000100Y43' })).toBe('某某检测有限公司');
    expect(publicHolderName({ holderName: '张三', holderIdNumber: '92500000MA5U0000XK' })).toBe('张*');
  });

  it('takes a holder whose 信用代码 does not check for a person', () => {
    expect(publicHolderName({ holderName: '某某检测有限公司', holderIdNumber: '91350100M000100Y44' })).toBe('某******司');
  });
});

describe('renderVerifyPage', () => {
  it('shows the verdict and the three fields, escaped', () => {
    const page = renderVerifyPage({ status: 'REVOKED', number: 'No.<1>', itemName: '资质认定', holder: '张*三' });
    expect(page).toContain('已撤销');
    expect(page).toContain('No.&lt;1&gt;');
    expect(page).toContain('张*三');
  });

  it('says not found with no fields for an unknown code', () => {
    const page = renderVerifyPage({ status: 'UNKNOWN', number: null, itemName: null, holder: null });
    expect(page).toContain('未找到');
    expect(page).not.toContain('<table>');
  });

  it('is allowed nothing but the style it carries', () => {
    const page = renderVerifyPage({ status: 'VALID', number: '1', itemName: '2', holder: '3' });
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)![1]!;
    expect(VERIFY_PAGE_CSP).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(VERIFY_PAGE_CSP).toMatch(/default-src 'none'/);
    expect(style).toContain('"SimSun"');
    expect(page).not.toMatch(/<script|<img|<link/);
  });
});
