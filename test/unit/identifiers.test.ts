import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../domain/errors.js';
import {
  InvalidIdentifierError,
  isSoleTraderUscc,
  residentIdCheckCharacter,
  usccCheckCharacter,
  validateDivisionCode,
  validateEmail,
  validatePhone,
  validatePostcode,
  validateResidentId,
  validateUscc,
  type IdentifierFault,
} from '../../domain/identifiers/index.js';

const NOW = '2025-11-24T09:30:00+08:00';

function faultOf(run: () => unknown): { code: string; fault: IdentifierFault; message: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidIdentifierError);
    expect(error).toBeInstanceOf(InputError);
    const { code, fault, message } = error as InvalidIdentifierError;
    return { code, fault, message };
  }
  throw new Error('expected the value to be rejected');
}

/** Test-side MOD 11-2, written from GB 11643 rather than copied from the implementation. */
function referenceResidentCheck(first17: string): string {
  const weights = [...Array(17).keys()].map((i) => 2 ** (17 - i) % 11);
  const sum = [...first17].reduce((acc, digit, i) => acc + Number(digit) * weights[i]!, 0);
  return '10X98765432'[sum % 11]!;
}

const PROVINCES = ['11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37', '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65', '71', '81', '82'];
const DAY_MS = 86_400_000;
const FIRST_BIRTH_MS = Date.parse('1900-01-01T00:00:00Z');
const LAST_BIRTH_MS = Date.parse('2025-11-24T00:00:00Z');

const residentIdPrefix = fc
  .tuple(
    fc.constantFrom(...PROVINCES),
    fc.stringMatching(/^\d{4}$/),
    fc.integer({ min: 0, max: (LAST_BIRTH_MS - FIRST_BIRTH_MS) / DAY_MS }),
    fc.stringMatching(/^\d{3}$/),
  )
  .map(([province, rest, dayOffset, sequence]) => {
    const birth = new Date(FIRST_BIRTH_MS + dayOffset * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '');
    return `${province}${rest}${birth}${sequence}`;
  });

describe('resident ID (GB 11643-1999)', () => {
  it('accepts the standard example and normalises a lower-case x', () => {
    expect(residentIdCheckCharacter('11010519491231002')).toBe('X');
    expect(validateResidentId('11010519491231002X', { now: NOW })).toBe('11010519491231002X');
    expect(validateResidentId(' 11010519491231002x ', { now: NOW })).toBe('11010519491231002X');
  });

  it('accepts numbers from Chongqing and Sichuan and a Hong Kong residence permit', () => {
    for (const first17 of ['50010319900307123', '51320019851111004', '81000019900101001']) {
      const id = first17 + referenceResidentCheck(first17);
      expect(validateResidentId(id, { now: NOW })).toBe(id);
    }
  });

  it('names each failure mode', () => {
    expect(faultOf(() => validateResidentId('', { now: NOW }))).toMatchObject({ code: 'INPUT.INVALID_RESIDENT_ID', fault: 'MISSING' });
    expect(faultOf(() => validateResidentId(undefined))).toMatchObject({ fault: 'MISSING' });
    expect(faultOf(() => validateResidentId('1101051949123100', { now: NOW }))).toMatchObject({
      fault: 'LENGTH',
      message: expect.stringContaining('18 位，实际为 16 位'),
    });
    expect(faultOf(() => validateResidentId('110105491231002', { now: NOW })).message).toContain('15 位的第一代');
    expect(faultOf(() => validateResidentId('1101051949123100Y2', { now: NOW }))).toMatchObject({ fault: 'CHARACTERS' });
    expect(faultOf(() => validateResidentId('11010519491231002Y', { now: NOW }))).toMatchObject({ fault: 'CHARACTERS' });
    expect(faultOf(() => validateResidentId('19010519491231002X', { now: NOW }))).toMatchObject({
      fault: 'DIVISION',
      message: expect.stringContaining('省级代码 19'),
    });
    expect(faultOf(() => validateResidentId('11010519490231002X', { now: NOW }))).toMatchObject({ fault: 'BIRTH_DATE' });
    expect(faultOf(() => validateResidentId('11010518991231002X', { now: NOW })).message).toContain('早于 1900 年');
    expect(faultOf(() => validateResidentId('110105194912310023', { now: NOW }))).toMatchObject({
      fault: 'CHECK_CHARACTER',
      message: expect.stringContaining('校验码'),
    });
  });

  it('refuses a birth date after today in Asia/Shanghai, and accepts one born today', () => {
    const bornToday = '50010320251124001';
    const id = bornToday + referenceResidentCheck(bornToday);
    expect(validateResidentId(id, { now: '2025-11-24T00:10:00+08:00' })).toBe(id);
    // 2025-11-23T16:10Z is already 11-24 in Shanghai but 11-23 in UTC.
    expect(validateResidentId(id, { now: '2025-11-23T16:10:00Z' })).toBe(id);
    expect(faultOf(() => validateResidentId(id, { now: '2025-11-23T15:50:00Z' }))).toMatchObject({
      fault: 'BIRTH_DATE',
      message: expect.stringContaining('晚于今天'),
    });
  });

  it('never repeats the number in its message', () => {
    const { message } = faultOf(() => validateResidentId('110105194912310021', { now: NOW }));
    expect(message).not.toContain('110105194912310021');
  });

  it('property: 17 valid digits plus the computed check character are accepted', () => {
    fc.assert(
      fc.property(residentIdPrefix, (first17) => {
        expect(residentIdCheckCharacter(first17)).toBe(referenceResidentCheck(first17));
        const id = first17 + residentIdCheckCharacter(first17);
        expect(validateResidentId(id, { now: NOW })).toBe(id);
      }),
    );
  });

  it('property: changing any single character makes a valid number invalid', () => {
    fc.assert(
      fc.property(
        residentIdPrefix,
        fc.integer({ min: 0, max: 17 }),
        fc.constantFrom(...'0123456789X'),
        (first17, position, replacement) => {
          const id = first17 + residentIdCheckCharacter(first17);
          fc.pre(id[position] !== replacement);
          const changed = id.slice(0, position) + replacement + id.slice(position + 1);
          expect(() => validateResidentId(changed, { now: NOW })).toThrow(InvalidIdentifierError);
        },
      ),
    );
  });
});

const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** Test-side MOD 31 from GB 32100: weight of position i is 3^i mod 31. */
function referenceUsccCheck(first17: string): string {
  const sum = [...first17].reduce((acc, char, i) => acc + USCC_CHARSET.indexOf(char) * (3 ** i % 31), 0);
  return USCC_CHARSET[(31 - (sum % 31)) % 31]!;
}

const usccChar = fc.constantFrom(...USCC_CHARSET);
const usccPrefix = fc
  .tuple(
    fc.constantFrom(...'123456789ANY'),
    usccChar,
    fc.constantFrom(...PROVINCES, '10'),
    fc.stringMatching(/^\d{4}$/),
    fc.array(usccChar, { minLength: 9, maxLength: 9 }),
  )
  .map(([authority, type, province, rest, body]) => `${authority}${type}${province}${rest}${body.join('')}`);

describe('unified social credit code (GB 32100-2015)', () => {
  it('accepts known codes and upper-cases', () => {
    expect(usccCheckCharacter('91350100M000100Y4')).toBe('3');
    expect(validateUscc('91350100M000100Y43')).toBe('91350100M000100Y43');
    expect(validateUscc(' 91350100m000100y43 ')).toBe('91350100M000100Y43');
    for (const first17 of ['91500000MA5U00000', '12510000MB0000000', '92510100MA6C00000', '11100000000013338']) {
      const code = first17 + referenceUsccCheck(first17);
      expect(validateUscc(code)).toBe(code);
    }
  });

  it('names each failure mode', () => {
    expect(faultOf(() => validateUscc(null))).toMatchObject({ code: 'INPUT.INVALID_USCC', fault: 'MISSING' });
    expect(faultOf(() => validateUscc('91350100M000100Y4'))).toMatchObject({ fault: 'LENGTH' });
    expect(faultOf(() => validateUscc('91350100M00010OY43'))).toMatchObject({
      fault: 'CHARACTERS',
      message: expect.stringContaining('O'),
    });
    expect(faultOf(() => validateUscc('91350100I000100Y43'))).toMatchObject({ fault: 'CHARACTERS' });
    const badAuthority = `B1350100M000100Y4`;
    expect(faultOf(() => validateUscc(badAuthority + referenceUsccCheck(badAuthority)))).toMatchObject({
      fault: 'REGISTRATION_AUTHORITY',
    });
    const badDivision = `91990100M000100Y4`;
    expect(faultOf(() => validateUscc(badDivision + referenceUsccCheck(badDivision)))).toMatchObject({ fault: 'DIVISION' });
    const letterInDivision = `9135A100M000100Y4`;
    expect(faultOf(() => validateUscc(letterInDivision + referenceUsccCheck(letterInDivision)))).toMatchObject({
      fault: 'DIVISION',
    });
    expect(faultOf(() => validateUscc('91350100M000100Y44'))).toMatchObject({ fault: 'CHECK_CHARACTER' });
  });

  it('recognises 个体工商户 codes as personal data', () => {
    expect(isSoleTraderUscc('92510100MA6C00000' + referenceUsccCheck('92510100MA6C00000'))).toBe(true);
    expect(isSoleTraderUscc('92510100ma6c0000x')).toBe(true);
    expect(isSoleTraderUscc('91350100M000100Y43')).toBe(false);
    expect(isSoleTraderUscc('12510000MB0000000')).toBe(false);
  });

  it('property: a valid 17-character prefix plus the computed check character is accepted', () => {
    fc.assert(
      fc.property(usccPrefix, (first17) => {
        expect(usccCheckCharacter(first17)).toBe(referenceUsccCheck(first17));
        const code = first17 + usccCheckCharacter(first17);
        expect(validateUscc(code)).toBe(code);
      }),
    );
  });

  it('property: changing any single character makes a valid code invalid', () => {
    fc.assert(
      fc.property(usccPrefix, fc.integer({ min: 0, max: 17 }), fc.constantFrom(...USCC_CHARSET, 'I', 'O', 'Z', 'S', 'V'), (first17, position, replacement) => {
        const code = first17 + usccCheckCharacter(first17);
        fc.pre(code[position] !== replacement);
        const changed = code.slice(0, position) + replacement + code.slice(position + 1);
        expect(() => validateUscc(changed)).toThrow(InvalidIdentifierError);
      }),
    );
  });
});

describe('phone numbers', () => {
  it('accepts mobiles and normalises them to 11 digits', () => {
    expect(validatePhone('13812345678')).toBe('13812345678');
    expect(validatePhone('+86 138 1234 5678')).toBe('13812345678');
    expect(validatePhone('199-2345-6789')).toBe('19923456789');
  });

  it('accepts landlines with area code and normalises the hyphen', () => {
    expect(validatePhone('023-12345678')).toBe('023-12345678');
    expect(validatePhone('0837-2800006')).toBe('0837-2800006');
    expect(validatePhone('08372800006')).toBe('0837-2800006');
    expect(validatePhone('(028)86001234')).toBe('028-86001234');
    expect(validatePhone('010-12345678')).toBe('010-12345678');
    expect(validatePhone('023-63211234-801')).toBe('023-63211234-801');
  });

  it('rejects everything else with INPUT.INVALID_PHONE', () => {
    expect(faultOf(() => validatePhone(''))).toMatchObject({ code: 'INPUT.INVALID_PHONE', fault: 'MISSING' });
    for (const bad of ['12812345678', '1381234567', '138123456789', '63211234', '023-0321123', '0123-1234567', '12345', '023-1234567890', 'abc']) {
      expect(faultOf(() => validatePhone(bad)), bad).toMatchObject({ code: 'INPUT.INVALID_PHONE', fault: 'FORMAT' });
    }
  });
});

describe('division codes and postcodes', () => {
  it('accepts six digits under a known province', () => {
    expect(validateDivisionCode('500000')).toBe('500000');
    expect(validateDivisionCode(' 513200 ')).toBe('513200');
    expect(validateDivisionCode('820000')).toBe('820000');
  });

  it('rejects the rest with INPUT.INVALID_DIVISION_CODE', () => {
    expect(faultOf(() => validateDivisionCode(''))).toMatchObject({ code: 'INPUT.INVALID_DIVISION_CODE', fault: 'MISSING' });
    expect(faultOf(() => validateDivisionCode('51320'))).toMatchObject({ fault: 'FORMAT' });
    expect(faultOf(() => validateDivisionCode('51320A'))).toMatchObject({ fault: 'FORMAT' });
    for (const unknown of ['160000', '100000', '830000', '990000']) {
      expect(faultOf(() => validateDivisionCode(unknown)), unknown).toMatchObject({ fault: 'DIVISION' });
    }
  });

  it('postcodes are six digits', () => {
    expect(validatePostcode('400015')).toBe('400015');
    expect(validatePostcode(' 624000 ')).toBe('624000');
    expect(faultOf(() => validatePostcode(undefined))).toMatchObject({ code: 'INPUT.INVALID_POSTCODE', fault: 'MISSING' });
    for (const bad of ['40001', '4000155', '40001A']) {
      expect(faultOf(() => validatePostcode(bad)), bad).toMatchObject({ code: 'INPUT.INVALID_POSTCODE', fault: 'FORMAT' });
    }
  });
});

describe('e-mail addresses', () => {
  it('accepts deliverable addresses and lower-cases the domain only', () => {
    expect(validateEmail('tongban@cq.gov.cn')).toBe('tongban@cq.gov.cn');
    expect(validateEmail(' Zhang.San+cy@Example.GOV.cn ')).toBe('Zhang.San+cy@example.gov.cn');
  });

  it('rejects malformed addresses with INPUT.INVALID_EMAIL', () => {
    expect(faultOf(() => validateEmail(''))).toMatchObject({ code: 'INPUT.INVALID_EMAIL', fault: 'MISSING' });
    for (const bad of ['plain', '@gov.cn', 'a@', 'a@b', 'a b@gov.cn', 'a..b@gov.cn', '.a@gov.cn', 'a@-gov.cn', 'a@gov..cn', 'a@b@gov.cn', `${'a'.repeat(65)}@gov.cn`]) {
      expect(faultOf(() => validateEmail(bad)), bad).toMatchObject({ code: 'INPUT.INVALID_EMAIL', fault: 'FORMAT' });
    }
  });
});
