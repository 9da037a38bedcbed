import type { FieldChange, WindowDraft } from '../../ledger/windows/window.model.js';

/**
 * Every field a change can touch, in the order history lists them. Contact and
 * hours are diffed per entry because "the phone changed" is what a reader of the
 * history wants to see, not two copies of the whole contact block. The mapped
 * type makes a field added to WindowDraft fail to compile until it is listed here,
 * so no field can change without leaving a trace.
 */
const FIELDS: { readonly [K in Exclude<keyof WindowDraft, 'id'>]: readonly string[] | null } = {
  name: null,
  region: null,
  divisionCode: null,
  hall: null,
  address: null,
  contact: ['person', 'phone', 'email', 'mailingAddress', 'postcode'],
  hours: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun', 'makeupDayHours', 'holidayHours'],
  roles: null,
  scopes: null,
  departments: null,
  itemCodes: null,
  active: null,
  sampleData: null,
};

/**
 * The fields that differ between two versions of a window, each as JSON text;
 * with no `before` (a new window) every field that has a value. Drafts are
 * compared as the validator normalises them, so a reordered list is no change.
 */
export function diffWindows(before: WindowDraft | null, after: WindowDraft): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const [field, entries] of Object.entries(FIELDS) as [keyof typeof FIELDS, readonly string[] | null][]) {
    const paths = entries ? entries.map((entry) => [`${field}.${entry}`, entry] as const) : [[field, null] as const];
    for (const [path, entry] of paths) {
      const oldValue = before ? asJson(at(before[field], entry)) : null;
      const newValue = asJson(at(after[field], entry));
      if (oldValue !== newValue) changes.push({ field: path, oldValue, newValue });
    }
  }
  return changes;
}

function at(value: unknown, entry: string | null): unknown {
  return entry === null ? value : (value as Record<string, unknown>)[entry];
}

function asJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
