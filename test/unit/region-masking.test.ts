import { describe, expect, it } from 'vitest';
import { maskIdNumber, maskPhone } from '../../domain/masking.js';
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
});
