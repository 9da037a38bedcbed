import { describe, expect, it } from 'vitest';
import { SAMPLE_WINDOWS } from '../../subgraphs/windows/sample-directory.data.js';
import { diffWindows } from '../../subgraphs/windows/window.diff.js';
import { validateWindowDraft } from '../../subgraphs/windows/window-input.validator.js';
import type { WindowDraft } from '../../ledger/windows/window.model.js';

const BASE = validateWindowDraft(SAMPLE_WINDOWS.find((window) => window.id === 'W-500103-01')!);

describe('window history diff', () => {
  it('records a new window as every field from nothing', () => {
    const changes = diffWindows(null, BASE);
    expect(changes.every((change) => change.oldValue === null)).toBe(true);
    expect(changes.map((change) => change.field)).toEqual([
      'name', 'region', 'divisionCode', 'hall', 'address',
      'contact.person', 'contact.phone', 'contact.email', 'contact.mailingAddress', 'contact.postcode',
      'hours.mon', 'hours.tue', 'hours.wed', 'hours.thu', 'hours.fri', 'hours.sat', 'hours.sun',
      'roles', 'scopes', 'departments', 'itemCodes', 'active', 'sampleData',
    ]);
    expect(changes.find((change) => change.field === 'contact.phone')!.newValue).toBe('"023-63000003"');
    expect(changes.find((change) => change.field === 'hours.mon')!.newValue).toBe('[["09:00","12:00"],["13:00","17:00"]]');
  });

  it('finds nothing between equal windows, however their lists were ordered before validation', () => {
    expect(diffWindows(BASE, { ...BASE })).toEqual([]);
    const reordered = validateWindowDraft({ ...BASE, roles: ['JURISDICTION', 'RECEIVING'], scopes: [...BASE.scopes].reverse() });
    expect(diffWindows(BASE, reordered)).toEqual([]);
  });

  it('names the changed field, down to one contact entry or one day, with old and new as JSON', () => {
    const next: WindowDraft = {
      ...BASE,
      contact: { ...BASE.contact, phone: '023-63009999' },
      hours: { ...BASE.hours, sat: [['09:00', '12:00']] },
      active: false,
    };
    expect(diffWindows(BASE, next)).toEqual([
      { field: 'contact.phone', oldValue: '"023-63000003"', newValue: '"023-63009999"' },
      { field: 'hours.sat', oldValue: '[]', newValue: '[["09:00","12:00"]]' },
      { field: 'active', oldValue: 'true', newValue: 'false' },
    ]);
  });

  it('shows make-up day hours appearing and disappearing as null on one side', () => {
    const withMakeup: WindowDraft = { ...BASE, hours: { ...BASE.hours, makeupDayHours: [['09:00', '12:00']] } };
    expect(diffWindows(BASE, withMakeup)).toEqual([{ field: 'hours.makeupDayHours', oldValue: null, newValue: '[["09:00","12:00"]]' }]);
    expect(diffWindows(withMakeup, BASE)).toEqual([{ field: 'hours.makeupDayHours', oldValue: '[["09:00","12:00"]]', newValue: null }]);
  });

  it('reports a move between regions as region and division code', () => {
    const moved: WindowDraft = { ...BASE, region: 'SICHUAN', divisionCode: '510104' };
    expect(diffWindows(BASE, moved).map((change) => [change.field, change.oldValue, change.newValue])).toEqual([
      ['region', '"CHONGQING"', '"SICHUAN"'],
      ['divisionCode', '"500103"', '"510104"'],
    ]);
  });

  it('traces a change of any field the draft has (id aside, the key)', () => {
    const changed: WindowDraft = {
      id: BASE.id,
      name: 'x',
      region: 'SICHUAN',
      divisionCode: '510000',
      hall: 'x',
      address: 'x',
      contact: { person: 'x', phone: '13800138000', email: 'x@example.gov.cn', mailingAddress: 'x', postcode: '610000' },
      hours: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [['08:00', '09:00']], sun: [['08:00', '09:00']], makeupDayHours: [] },
      roles: ['RECEIVING'],
      scopes: ['CROSS_PROVINCE'],
      departments: ['x'],
      itemCodes: ['510000-00001'],
      active: false,
      sampleData: false,
    };
    const fields = new Set(diffWindows(BASE, changed).map((change) => change.field.split('.')[0]));
    expect([...fields].sort()).toEqual(Object.keys(changed).filter((key) => key !== 'id').sort());
  });
});
