import { InvalidIdentifierError } from './identifiers.errors.js';

/** Province-level codes of GB/T 2260, including 台湾 71, 香港 81 and 澳门 82. */
const PROVINCE_CODES: ReadonlySet<string> = new Set([
  '11', '12', '13', '14', '15',
  '21', '22', '23',
  '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46',
  '50', '51', '52', '53', '54',
  '61', '62', '63', '64', '65',
  '71', '81', '82',
]);

export function isProvinceCode(twoDigits: string): boolean {
  return PROVINCE_CODES.has(twoDigits);
}

/** 行政区划代码: six digits under a known province. Returns the trimmed code. */
export function validateDivisionCode(value: unknown): string {
  const code = typeof value === 'string' ? value.trim() : '';
  if (!code) throw new InvalidIdentifierError('DIVISION_CODE', 'MISSING', '行政区划代码不能为空');
  if (!/^\d{6}$/.test(code)) {
    throw new InvalidIdentifierError('DIVISION_CODE', 'FORMAT', `行政区划代码应为 6 位数字: ${JSON.stringify(code)}`);
  }
  if (!isProvinceCode(code.slice(0, 2))) {
    throw new InvalidIdentifierError('DIVISION_CODE', 'DIVISION', `行政区划代码 ${code} 的省级代码 ${code.slice(0, 2)} 不存在`);
  }
  return code;
}
