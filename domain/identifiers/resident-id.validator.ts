import { shanghaiDateOf, weekdayOfDate, type Instant } from '../calendar/index.js';
import { isProvinceCode } from './division-code.validator.js';
import { InvalidIdentifierError, type IdentifierFault } from './identifiers.errors.js';

/** ISO 7064 MOD 11-2 as GB 11643-1999 applies it. */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARACTERS = '10X98765432';

/**
 * Residence permits of Hong Kong, Macao and Taiwan residents (港澳台居民居住证) use
 * the same number format under 810000 / 820000 / 830000; 83 is not a GB/T 2260
 * province but such applicants are entitled to the same services.
 */
const RESIDENCE_PERMIT_PREFIX = '83';

/** The earliest birth year the project accepts; older dates are typing errors, not applicants. */
const EARLIEST_BIRTH_DATE = '1900-01-01';

export function residentIdCheckCharacter(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError('the check character is computed over exactly 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_CHARACTERS[sum % 11]!;
}

/**
 * 居民身份证号码 (GB 11643-1999). Returns the number trimmed with a lower-case x
 * upper-cased; throws `InvalidIdentifierError` (INPUT.INVALID_RESIDENT_ID) naming
 * the first thing wrong. `now` fixes "today" for the birth-date check.
 */
export function validateResidentId(value: unknown, options: { now?: Instant } = {}): string {
  const id = typeof value === 'string' ? value.trim().toUpperCase() : '';
  if (!id) fail('MISSING', '居民身份证号码不能为空');
  if (id.length !== 18) {
    fail(
      'LENGTH',
      /^\d{15}$/.test(id)
        ? '15 位的第一代居民身份证号码已停止使用，请提供 18 位号码'
        : `居民身份证号码应为 18 位，实际为 ${[...id].length} 位`,
    );
  }
  if (!/^\d{17}[\dX]$/.test(id)) fail('CHARACTERS', '居民身份证号码前 17 位应为数字，第 18 位应为数字或 X');
  const province = id.slice(0, 2);
  if (!isProvinceCode(province) && province !== RESIDENCE_PERMIT_PREFIX) {
    fail('DIVISION', `居民身份证号码前 6 位不是有效的行政区划代码（省级代码 ${province} 不存在）`);
  }

  const birthDate = `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
  if (!isCivilDate(birthDate)) fail('BIRTH_DATE', '居民身份证号码第 7–14 位不是有效的出生日期');
  if (birthDate < EARLIEST_BIRTH_DATE) fail('BIRTH_DATE', '居民身份证号码中的出生日期早于 1900 年');
  if (birthDate > shanghaiDateOf(options.now ?? new Date())) fail('BIRTH_DATE', '居民身份证号码中的出生日期晚于今天');

  if (residentIdCheckCharacter(id.slice(0, 17)) !== id[17]) {
    fail('CHECK_CHARACTER', '居民身份证号码校验码不符，请核对号码是否抄录有误');
  }
  return id;
}

function isCivilDate(date: string): boolean {
  try {
    weekdayOfDate(date);
    return true;
  } catch {
    return false;
  }
}

function fail(fault: IdentifierFault, message: string): never {
  throw new InvalidIdentifierError('RESIDENT_ID', fault, message);
}
