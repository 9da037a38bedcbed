import { describe, expect, it } from 'vitest';
import { millisToYkbTime, ykbTimeToMillis } from '../../adapters/yukuaiban/yukuaiban.wire.js';

describe('渝快办 time (yyyyMMddHHmmss, Beijing)', () => {
  it('reads Beijing wall time as an instant', () => {
    expect(ykbTimeToMillis('20251124093000')).toBe(Date.parse('2025-11-24T09:30:00+08:00'));
    expect(ykbTimeToMillis('20240229235959')).toBe(Date.parse('2024-02-29T23:59:59+08:00'));
    expect(ykbTimeToMillis('20250101000000')).toBe(Date.parse('2025-01-01T00:00:00+08:00'));
  });

  it('refuses what is not a calendar date and time', () => {
    for (const value of ['20240230120000', '20250229120000', '20251301120000', '20251124240000', '20251124126000', '20251124123060', '00501124093000', '2025112409300', '2025-11-24 09:30', '20251124093000Z']) {
      expect(ykbTimeToMillis(value), value).toBeNull();
    }
  });

  it('writes what it reads', () => {
    for (const value of ['20251124093000', '20240229235959', '19991231160000']) expect(millisToYkbTime(ykbTimeToMillis(value)!)).toBe(value);
  });
});
