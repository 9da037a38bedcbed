import { describe, expect, it } from 'vitest';
import { getDefaultCalendar } from '../../domain/calendar/index.js';
import { administrativeLevel, parseStatisticsField, powerTypeCategory, statisticsField } from '../../ledger/cases/case-statistics.js';
import { reportIssue, workingDaysOfWeek } from '../../ledger/cases/statistics.service.js';

describe('statistics dimensions', () => {
  it('groups power types as seed 003 does', () => {
    expect(powerTypeCategory('行政许可')).toBe('LICENSING');
    expect(powerTypeCategory('公共服务')).toBe('PUBLIC_SERVICE');
    for (const other of ['行政确认', '行政处罚', '其他行政权力']) expect(powerTypeCategory(other)).toBe('OTHER_POWERS');
  });

  it('reads the level from the item division: 省本级, 市州, 县区', () => {
    expect(administrativeLevel('510000-00001')).toBe('PROVINCIAL');
    expect(administrativeLevel('500000-00018')).toBe('PROVINCIAL');
    expect(administrativeLevel('513200-00032')).toBe('PREFECTURAL');
    expect(administrativeLevel('513201-00001')).toBe('COUNTY');
  });

  it('writes both dimensions, and still reads fields written before them', () => {
    const field = statisticsField('received', {
      jurisdictionRegion: 'SICHUAN',
      itemCode: '513200-00003',
      item: { name: '教师资格认定', legalName: '教师资格认定', department: '阿坝州教育局', legalLimitDays: 20, promisedLimitDays: 10, powerType: '行政许可' },
    });
    expect(parseStatisticsField(field)).toEqual({
      metric: 'received',
      region: 'SICHUAN',
      department: '阿坝州教育局',
      itemCode: '513200-00003',
      powerType: 'LICENSING',
      level: 'PREFECTURAL',
    });
    expect(parseStatisticsField('finished|SICHUAN|四川省水利厅|510000-00001')).toMatchObject({ powerType: null, level: 'PROVINCIAL' });
  });
});

describe('weekly report numbering', () => {
  const calendar = getDefaultCalendar();

  it('prints the working days of the week, and numbers only weeks that have any', () => {
    // National Day 2025: 10-01 to 10-08 off, Saturday 10-11 worked.
    expect(workingDaysOfWeek('2025-10-06', calendar)).toEqual(['2025-10-09', '2025-10-10', '2025-10-11']);
    expect(reportIssue('2025-01-06', calendar)).toEqual({ year: 2025, number: 1, total: 1 });
    expect(reportIssue('2025-11-24', calendar)).toEqual({ year: 2025, number: 47, total: 47 });
    expect(() => reportIssue('2024-12-30', calendar)).toThrow(expect.objectContaining({ code: 'INPUT.INVALID_PERIOD' }));
  });
});
