import { describe, expect, it } from 'vitest';
import { maskApplicant, maskContact, maskIdNumber, maskName, maskPhone } from '../../domain/masking.js';
import { regionOfDivision, regionOfItemCode } from '../../domain/region.js';

describe('regions', () => {
  it('derives the owning region from division codes and item codes', () => {
    expect(regionOfDivision('500103')).toBe('CHONGQING');
    expect(regionOfDivision('513200')).toBe('SICHUAN');
    expect(regionOfDivision('110000')).toBeNull();
    expect(regionOfItemCode('500000-00001')).toBe('CHONGQING');
    expect(regionOfItemCode('513200-00075')).toBe('SICHUAN');
  });

  it('rejects malformed item codes with a stable code', () => {
    for (const bad of ['', '500000', '110000-00001', '50000-00001', '500000-0001x']) {
      expect(() => regionOfItemCode(bad)).toThrow(expect.objectContaining({ code: 'INPUT.INVALID_ITEM_CODE' }));
    }
  });
});

describe('masking', () => {
  it('keeps the first and last four characters of an identity number', () => {
    expect(maskIdNumber('51010119900101123X')).toBe('5101**********123X');
    expect(maskIdNumber('91500000MA5U0000X1')).toBe('9150**********00X1');
  });

  it('masks the middle of a phone number', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('023-60000001')).toBe('023****0001');
  });

  it('keeps the first character of a name, and the last from three characters on', () => {
    expect(['王', '张三', '张小三', '欧阳小明', '𠮷野家', ''].map(maskName)).toEqual(['*', '张*', '张*三', '欧**明', '𠮷*家', '']);
  });

  it("masks a person and a sole trader, never an organisation's public registration", () => {
    expect(maskApplicant({ kind: 'PERSON', name: '王小明', idNumber: '11010519491231002X' })).toEqual({ kind: 'PERSON', name: '王*明', idNumber: '1101**********002X' });
    expect(maskApplicant({ kind: 'ORGANISATION', name: '张三', idNumber: '92500000MA5U0000X1' })).toEqual({ kind: 'ORGANISATION', name: '张*', idNumber: '9250**********00X1' });
    const company = { kind: 'ORGANISATION' as const, name: '某某工程检测有限公司', idNumber: '91350100M000100Y43' };
    expect(maskApplicant(company)).toEqual(company);
    expect(maskContact({ name: '赵工', phone: '13812345678' })).toEqual({ name: '赵*', phone: '138****5678' });
  });
});
