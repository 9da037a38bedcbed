import { isProvinceCode } from './division-code.validator.js';
import { InvalidIdentifierError, type IdentifierFault } from './identifiers.errors.js';

/** GB 32100-2015 leaves out I, O, Z, S and V, which are easily misread as 1, 0, 2, 5 and U. */
const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;

/** 登记管理部门码: 机构编制 1, 外交 2 … 工商 9, 中央军委改革和编制办公室 A, 农业 N, 其他 Y. */
const REGISTRATION_AUTHORITIES = '123456789ANY';

/** Organisations registered by central authorities carry the national code 100000. */
const CENTRAL_DIVISION_PREFIX = '10';

export function usccCheckCharacter(first17: string): string {
  if (first17.length !== 17) throw new RangeError('the check character is computed over exactly 17 characters');
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const digit = CHARSET.indexOf(first17[i]!);
    if (digit < 0) throw new RangeError(`not a USCC character: ${JSON.stringify(first17[i])}`);
    sum += digit * WEIGHTS[i]!;
  }
  return CHARSET[(31 - (sum % 31)) % 31]!;
}

/**
 * 统一社会信用代码 (GB 32100-2015). Returns the code trimmed and upper-cased; throws
 * `InvalidIdentifierError` (INPUT.INVALID_USCC) naming the first thing wrong.
 *
 * Positions 9–17 are not checked against GB 11714 on their own: codes issued to
 * 个体工商户 and some collectives do not always satisfy it, and the overall check
 * character already catches typing errors there.
 */
export function validateUscc(value: unknown): string {
  const code = typeof value === 'string' ? value.trim().toUpperCase() : '';
  if (!code) fail('MISSING', '统一社会信用代码不能为空');
  if (code.length !== 18) fail('LENGTH', `统一社会信用代码应为 18 位，实际为 ${[...code].length} 位`);
  const foreign = [...new Set([...code].filter((char) => !CHARSET.includes(char)))];
  if (foreign.length) {
    fail('CHARACTERS', `统一社会信用代码含有不使用的字符 ${foreign.join(' ')}（只使用数字和除 I、O、Z、S、V 以外的大写字母）`);
  }
  if (!REGISTRATION_AUTHORITIES.includes(code[0]!)) {
    fail('REGISTRATION_AUTHORITY', `统一社会信用代码第 1 位登记管理部门码 ${code[0]} 不存在（应为 1–9、A、N 或 Y）`);
  }
  const division = code.slice(2, 8);
  if (!/^\d{6}$/.test(division) || !(isProvinceCode(division.slice(0, 2)) || division.startsWith(CENTRAL_DIVISION_PREFIX))) {
    fail('DIVISION', '统一社会信用代码第 3–8 位不是有效的行政区划代码');
  }
  if (usccCheckCharacter(code.slice(0, 17)) !== code[17]) {
    fail('CHECK_CHARACTER', '统一社会信用代码校验码不符，请核对代码是否抄录有误');
  }
  return code;
}

/**
 * 个体工商户 (registered by 工商 9, type 2) are natural persons trading under their
 * own name, so their code is personal data and is masked like an ID number.
 */
export function isSoleTraderUscc(uscc: string): boolean {
  return uscc.trim().toUpperCase().startsWith('92');
}

function fail(fault: IdentifierFault, message: string): never {
  throw new InvalidIdentifierError('USCC', fault, message);
}
