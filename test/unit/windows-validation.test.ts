import { describe, expect, it } from 'vitest';
import { DomainError } from '../../domain/errors.js';
import { regionOfDivision } from '../../domain/region.js';
import { SAMPLE_WINDOWS } from '../../subgraphs/windows/sample-directory.data.js';
import { draftFromInput, validateWindowDraft, type WindowInput } from '../../subgraphs/windows/window-input.validator.js';

const INPUT: WindowInput = {
  id: 'W-500103-09',
  name: '渝中区政务服务中心测试窗口',
  region: 'CHONGQING',
  divisionCode: '500103',
  hall: '渝中区政务服务中心',
  address: '重庆市渝中区人民路1号（示例）',
  contact: { person: '测试员（示例）', phone: '023-63000099', email: 'test@example.gov.cn', mailingAddress: '重庆市渝中区人民路1号', postcode: '400015' },
  hours: ['MON', 'TUE', 'WED', 'THU', 'FRI'].map((day) => ({ day: day as 'MON', ranges: ['09:00-12:00', '13:00-17:00'] })),
  makeupDayHours: null,
  roles: ['RECEIVING', 'JURISDICTION'],
  scopes: ['SICHUAN_CHONGQING'],
  departments: [],
  itemCodes: [],
  active: true,
  sampleData: true,
};

function codeOf(input: WindowInput): string {
  try {
    validateWindowDraft(draftFromInput(input));
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return (error as DomainError).code;
  }
  throw new Error('expected the window to be rejected');
}

const withContact = (contact: Partial<WindowInput['contact']>): WindowInput => ({ ...INPUT, contact: { ...INPUT.contact, ...contact } });

describe('window input', () => {
  it('is normalised: trimmed text, canonical phone and e-mail, sorted lists and ranges, closed days filled in', () => {
    const draft = validateWindowDraft(
      draftFromInput({
        ...INPUT,
        name: '  渝中区政务服务中心测试窗口 ',
        contact: { ...INPUT.contact, phone: '(023) 6300 0099', email: 'Test@Example.GOV.cn', postcode: ' 400015 ' },
        hours: [
          { day: 'SAT', ranges: ['13:00 - 15:00', '09:00-12:00'] },
          { day: 'MON', ranges: ['09:00–17:00'] },
        ],
        roles: ['JURISDICTION', 'RECEIVING', 'JURISDICTION'],
        scopes: ['IN_PROVINCE', 'SICHUAN_CHONGQING'],
        departments: ['重庆市水利局', ' 重庆市民政局', '重庆市水利局'],
        itemCodes: ['510000-00002', '500000-00001', '510000-00002'],
      }),
    );
    expect(draft).toEqual({
      ...INPUT,
      name: '渝中区政务服务中心测试窗口',
      contact: { ...INPUT.contact, phone: '023-63000099', email: 'Test@example.gov.cn' },
      hours: { mon: [['09:00', '17:00']], tue: [], wed: [], thu: [], fri: [], sat: [['09:00', '12:00'], ['13:00', '15:00']], sun: [] },
      roles: ['RECEIVING', 'JURISDICTION'],
      scopes: ['SICHUAN_CHONGQING', 'IN_PROVINCE'],
      departments: ['重庆市民政局', '重庆市水利局'],
      itemCodes: ['500000-00001', '510000-00002'],
      makeupDayHours: undefined,
    });
    expect('makeupDayHours' in draft.hours).toBe(false);
  });

  it('keeps holiday hours when they are given, and none when not', () => {
    expect('holidayHours' in validateWindowDraft(draftFromInput(INPUT)).hours).toBe(false);
    const draft = validateWindowDraft(draftFromInput({ ...INPUT, holidayHours: ['14:00-17:00', '09:00-12:00'] }));
    expect(draft.hours.holidayHours).toEqual([['09:00', '12:00'], ['14:00', '17:00']]);
    expect(() => draftFromInput({ ...INPUT, holidayHours: ['9-12'] })).toThrow(/holidayHours\[0\]/);
  });

  it('keeps make-up day hours when they are given', () => {
    const draft = validateWindowDraft(draftFromInput({ ...INPUT, makeupDayHours: ['13:00-17:00', '09:00-11:30'] }));
    expect(draft.hours.makeupDayHours).toEqual([['09:00', '11:30'], ['13:00', '17:00']]);
  });

  it.each<[string, WindowInput, string]>([
    ['a malformed id', { ...INPUT, id: 'W 1' }, 'INPUT.INVALID_WINDOW_ID'],
    ['an empty id', { ...INPUT, id: '' }, 'INPUT.INVALID_WINDOW_ID'],
    ['an empty name', { ...INPUT, name: '   ' }, 'INPUT.REQUIRED'],
    ['a name of 65 characters', { ...INPUT, name: '窗'.repeat(65) }, 'INPUT.TOO_LONG'],
    ['a name with a line break', { ...INPUT, name: '渝中区\n窗口' }, 'INPUT.INVALID_TEXT'],
    ['an empty hall', { ...INPUT, hall: '' }, 'INPUT.REQUIRED'],
    ['an address of 129 characters', { ...INPUT, address: '路'.repeat(129) }, 'INPUT.TOO_LONG'],
    ['a 5-digit division code', { ...INPUT, divisionCode: '50010' }, 'INPUT.INVALID_DIVISION_CODE'],
    ['a division under no province', { ...INPUT, divisionCode: '990000' }, 'INPUT.INVALID_DIVISION_CODE'],
    ['a county code under city digits 00', { ...INPUT, divisionCode: '500012' }, 'INPUT.INVALID_DIVISION_CODE'],
    ['a Sichuan division for Chongqing', { ...INPUT, divisionCode: '510100' }, 'INPUT.REGION_MISMATCH'],
    ['a division outside both regions', { ...INPUT, divisionCode: '110000' }, 'INPUT.REGION_MISMATCH'],
    ['an empty contact person', withContact({ person: '' }), 'INPUT.REQUIRED'],
    ['a short phone', withContact({ phone: '12345' }), 'INPUT.INVALID_PHONE'],
    ['a landline without area code', withContact({ phone: '63000099' }), 'INPUT.INVALID_PHONE'],
    ['an e-mail without domain', withContact({ email: 'tb@' }), 'INPUT.INVALID_EMAIL'],
    ['an empty mailing address', withContact({ mailingAddress: ' ' }), 'INPUT.REQUIRED'],
    ['a 5-digit postcode', withContact({ postcode: '40001' }), 'INPUT.INVALID_POSTCODE'],
    ['a range that is not HH:MM-HH:MM', { ...INPUT, hours: [{ day: 'MON', ranges: ['9-12'] }] }, 'INPUT.INVALID_HOURS'],
    ['a range that ends before it starts', { ...INPUT, hours: [{ day: 'MON', ranges: ['12:00-09:00'] }] }, 'INPUT.INVALID_HOURS'],
    ['overlapping ranges', { ...INPUT, hours: [{ day: 'MON', ranges: ['09:00-12:00', '11:00-14:00'] }] }, 'INPUT.INVALID_HOURS'],
    ['an hour past 23', { ...INPUT, hours: [{ day: 'MON', ranges: ['09:00-25:00'] }] }, 'INPUT.INVALID_HOURS'],
    ['a day given twice', { ...INPUT, hours: [{ day: 'MON', ranges: [] }, { day: 'MON', ranges: ['09:00-12:00'] }] }, 'INPUT.INVALID_HOURS'],
    ['bad make-up day hours', { ...INPUT, makeupDayHours: ['17:00-09:00'] }, 'INPUT.INVALID_HOURS'],
    ['no roles', { ...INPUT, roles: [] }, 'INPUT.ROLES_REQUIRED'],
    ['no scopes', { ...INPUT, scopes: [] }, 'INPUT.SCOPES_REQUIRED'],
    ['an empty department', { ...INPUT, departments: [''] }, 'INPUT.REQUIRED'],
    ['a malformed item code', { ...INPUT, itemCodes: ['500000-1'] }, 'INPUT.INVALID_ITEM_CODE'],
    ['an item code of no region', { ...INPUT, itemCodes: ['110000-00001'] }, 'INPUT.INVALID_ITEM_CODE'],
  ])('refuses %s', (_, input, code) => {
    expect(codeOf(input)).toBe(code);
  });

  it('lists every problem with the hours at once', () => {
    try {
      draftFromInput({ ...INPUT, hours: [{ day: 'MON', ranges: ['9-12', '13:00-17:00'] }, { day: 'TUE', ranges: ['x'] }] });
      throw new Error('expected the hours to be rejected');
    } catch (error) {
      expect((error as { issues: string[] }).issues).toHaveLength(2);
    }
  });

  it('does not repeat a rejected phone or e-mail in the message (personal data ends up in logs)', () => {
    for (const input of [withContact({ phone: '13800138' }), withContact({ email: 'zhang.san@@example.gov.cn' })]) {
      try {
        validateWindowDraft(draftFromInput(input));
      } catch (error) {
        expect((error as Error).message).not.toContain('13800138');
        expect((error as Error).message).not.toContain('zhang.san');
      }
    }
  });
});

describe('the sample directory', () => {
  it('passes validation, its text and contact data already in canonical form', () => {
    for (const window of SAMPLE_WINDOWS) {
      const valid = validateWindowDraft(window);
      expect({ name: valid.name, hall: valid.hall, address: valid.address, contact: valid.contact }).toEqual({
        name: window.name,
        hall: window.hall,
        address: window.address,
        contact: window.contact,
      });
    }
  });

  it('covers the provincial halls and the city, district and county halls, each in its region', () => {
    const divisions = SAMPLE_WINDOWS.map((window) => window.divisionCode);
    expect(divisions).toEqual(
      expect.arrayContaining([
        '500000', '500101', '500103', '500105', '500106', '500107', '500108', '500112', '500118',
        '510000', '510100', '510104', '511600', '511700', '510500', '513200', '513201', '513221',
      ]),
    );
    expect(new Set(SAMPLE_WINDOWS.map((window) => window.id)).size).toBe(SAMPLE_WINDOWS.length);
    for (const window of SAMPLE_WINDOWS) expect(regionOfDivision(window.divisionCode)).toBe(window.region);
  });

  it('keeps the ids and names other code and tests rely on', () => {
    const names = Object.fromEntries(SAMPLE_WINDOWS.map((window) => [window.id, window.name]));
    expect(names).toMatchObject({
      'W-500000-01': '重庆市政务服务中心川渝通办窗口',
      'W-500101-01': '万州区政务服务中心跨区县通办窗口',
      'W-500103-01': '渝中区政务服务中心跨区县通办窗口',
      'W-510000-01': '四川省政务服务中心川渝通办窗口',
      'W-510100-01': '成都市政务服务中心通办窗口',
      'W-513200-01': '阿坝州政务服务中心一窗受理窗口',
      'W-511600-01': '广安市政务服务中心川渝通办窗口',
    });
  });

  it('marks every contact as sample data', () => {
    for (const window of SAMPLE_WINDOWS) {
      expect(window.sampleData).toBe(true);
      expect(window.contact.person).toContain('（示例）');
      expect(window.address).toContain('（示例）');
      expect(window.contact.email).toMatch(/@example\.gov\.cn$/);
    }
  });
});
