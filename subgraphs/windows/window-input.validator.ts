import { InputError } from '../../domain/errors.js';
import { InvalidHoursError, validateOfficeHours, type OfficeHours, type TimeRange, type Weekday } from '../../domain/hours/index.js';
import {
  InvalidIdentifierError,
  validateDivisionCode,
  validateEmail,
  validatePhone,
  validatePostcode,
} from '../../domain/identifiers/index.js';
import { regionOfDivision, regionOfItemCode, type Region, type Scope } from '../../domain/region.js';
import type { WindowDraft, WindowRole } from '../../ledger/windows/window.model.js';

/** `upsertWindow`'s argument as GraphQL delivers it (defaults already applied). */
export interface WindowInput {
  id: string;
  expectedVersion?: number | null;
  name: string;
  region: Region;
  divisionCode: string;
  hall: string;
  address: string;
  contact: WindowDraft['contact'];
  hours: { day: Uppercase<Weekday>; ranges: string[] }[];
  makeupDayHours?: string[] | null;
  holidayHours?: string[] | null;
  roles: WindowRole[];
  scopes: Scope[];
  departments: string[];
  itemCodes: string[];
  active: boolean;
  sampleData: boolean;
}

export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const ROLE_ORDER: readonly WindowRole[] = ['RECEIVING', 'JURISDICTION'];
const SCOPE_ORDER: readonly Scope[] = ['SICHUAN_CHONGQING', 'CROSS_DISTRICT', 'IN_PROVINCE', 'CROSS_PROVINCE'];

/** Bounds that fit the printed notices and the 联络清单 columns, with room to spare. */
const MAX = { name: 64, hall: 64, address: 128, person: 32, mailingAddress: 128, department: 64 } as const;
const MAX_DEPARTMENTS = 100;
const MAX_ITEM_CODES = 1000;
const WINDOW_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
const RANGE = /^\s*(\d{2}:\d{2})\s*[-–]\s*(\d{2}:\d{2})\s*$/;
/** Names and addresses are printed on one line of a notice; a line break or control character would break the form. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Turns the GraphQL shape (one entry per day, ranges as "09:00-12:00", as the
 * `hours` field returns them) into the stored shape; `validateWindowDraft` checks
 * the rest. A day left out is closed; a day given twice is refused rather than
 * guessed between.
 */
export function draftFromInput(input: WindowInput): WindowDraft {
  const issues: string[] = [];
  const byDay = new Map<Weekday, TimeRange[]>();
  for (const { day, ranges } of input.hours) {
    const key = day.toLowerCase() as Weekday;
    if (byDay.has(key)) issues.push(`${key}: 重复填写`);
    byDay.set(key, parseRanges(key, ranges, issues));
  }
  const makeupDayHours = input.makeupDayHours == null ? undefined : parseRanges('makeupDayHours', input.makeupDayHours, issues);
  const holidayHours = input.holidayHours == null ? undefined : parseRanges('holidayHours', input.holidayHours, issues);
  if (issues.length > 0) throw new InvalidHoursError(issues);
  const hours = Object.fromEntries(WEEKDAYS.map((day) => [day, byDay.get(day) ?? []])) as Record<Weekday, TimeRange[]>;
  return {
    id: input.id,
    name: input.name,
    region: input.region,
    divisionCode: input.divisionCode,
    hall: input.hall,
    address: input.address,
    contact: input.contact,
    hours: { ...hours, ...(makeupDayHours && { makeupDayHours }), ...(holidayHours && { holidayHours }) },
    roles: input.roles,
    scopes: input.scopes,
    departments: input.departments,
    itemCodes: input.itemCodes,
    active: input.active,
    sampleData: input.sampleData,
  };
}

/**
 * Checks a window as a whole and returns it normalised (trimmed text, canonical
 * phone and e-mail, sorted lists and ranges), so that equal windows serialise
 * equally and an unchanged upsert is recognised as one. Throws the first problem
 * found as an InputError with its own code.
 */
export function validateWindowDraft(draft: WindowDraft): WindowDraft {
  const id = typeof draft.id === 'string' ? draft.id.trim() : '';
  if (!WINDOW_ID.test(id)) {
    throw new InputError('INPUT.INVALID_WINDOW_ID', '窗口编号应为 1–64 位字母、数字或连字符，如 W-500000-01');
  }
  const name = text(draft.name, '窗口名称', MAX.name);
  const divisionCode = validateDivision(draft.divisionCode);
  const divisionRegion = regionOfDivision(divisionCode);
  if (divisionRegion !== draft.region) {
    throw new InputError(
      'INPUT.REGION_MISMATCH',
      divisionRegion
        ? `行政区划代码 ${divisionCode} 属于${REGION_NAMES[divisionRegion]}，与所选地区${REGION_NAMES[draft.region] ?? ''}不符`
        : `行政区划代码 ${divisionCode} 不在重庆或四川`,
    );
  }
  const hall = text(draft.hall, '政务服务大厅名称', MAX.hall);
  const address = text(draft.address, '窗口地址', MAX.address);
  const contact = {
    person: text(draft.contact.person, '联系人', MAX.person),
    phone: validatePhone(draft.contact.phone),
    email: validateEmail(draft.contact.email),
    mailingAddress: text(draft.contact.mailingAddress, '邮寄地址', MAX.mailingAddress),
    postcode: validatePostcode(draft.contact.postcode),
  };
  const hours = normaliseHours(validateOfficeHours(draft.hours));
  const roles = ROLE_ORDER.filter((role) => draft.roles.includes(role));
  if (roles.length === 0) throw new InputError('INPUT.ROLES_REQUIRED', '窗口至少应承担收件地窗口或属地窗口之一的职责');
  const scopes = SCOPE_ORDER.filter((scope) => draft.scopes.includes(scope));
  if (scopes.length === 0) throw new InputError('INPUT.SCOPES_REQUIRED', '窗口至少应开展一种通办（川渝通办、跨区县通办、省内通办或跨省通办）');
  const departments = distinctSorted(draft.departments.map((department) => text(department, '部门名称', MAX.department)));
  if (departments.length > MAX_DEPARTMENTS) throw new InputError('INPUT.TOO_MANY', `受理部门不能超过 ${MAX_DEPARTMENTS} 个`);
  const itemCodes = distinctSorted(
    draft.itemCodes.map((code) => {
      const trimmed = typeof code === 'string' ? code.trim() : '';
      regionOfItemCode(trimmed);
      return trimmed;
    }),
  );
  if (itemCodes.length > MAX_ITEM_CODES) throw new InputError('INPUT.TOO_MANY', `受理事项不能超过 ${MAX_ITEM_CODES} 个`);
  return {
    id,
    name,
    region: draft.region,
    divisionCode,
    hall,
    address,
    contact,
    hours,
    roles,
    scopes,
    departments,
    itemCodes,
    active: draft.active,
    sampleData: draft.sampleData,
  };
}

const REGION_NAMES: Record<Region, string> = { CHONGQING: '重庆', SICHUAN: '四川' };

/**
 * Six digits under a known province, and a county part only under a city part:
 * GB/T 2260 has no code like 510012, whose city digits are 00.
 */
function validateDivision(value: unknown): string {
  const code = validateDivisionCode(value);
  if (code.slice(2, 4) === '00' && code.slice(4) !== '00') {
    throw new InvalidIdentifierError('DIVISION_CODE', 'DIVISION', `行政区划代码 ${code} 不存在（地级代码为 00 时县级代码也应为 00）`);
  }
  return code;
}

function text(value: unknown, label: string, max: number): string {
  const trimmed = typeof value === 'string' ? value.trim() : '';
  if (!trimmed) throw new InputError('INPUT.REQUIRED', `${label}不能为空`);
  if ([...trimmed].length > max) throw new InputError('INPUT.TOO_LONG', `${label}不能超过 ${max} 字`);
  if (CONTROL.test(trimmed)) throw new InputError('INPUT.INVALID_TEXT', `${label}不能含换行或控制字符`);
  return trimmed;
}

function parseRanges(key: string, ranges: readonly string[], issues: string[]): TimeRange[] {
  return ranges.flatMap((range, i) => {
    const match = RANGE.exec(range);
    if (match) return [[match[1]!, match[2]!] as const];
    issues.push(`${key}[${i}]: ${JSON.stringify(range)} 应为 "HH:MM-HH:MM"，如 "09:00-12:00"`);
    return [];
  });
}

/** Ranges in order of their start, on a fresh object: the stored hours never alias the caller's. */
function normaliseHours(hours: OfficeHours): OfficeHours {
  const sorted = (ranges: readonly TimeRange[]) => [...ranges].map(([start, end]) => [start, end] as const).sort((a, b) => a[0].localeCompare(b[0]));
  const byDay = Object.fromEntries(WEEKDAYS.map((day) => [day, sorted(hours[day])])) as Record<Weekday, TimeRange[]>;
  return {
    ...byDay,
    ...(hours.makeupDayHours && { makeupDayHours: sorted(hours.makeupDayHours) }),
    ...(hours.holidayHours && { holidayHours: sorted(hours.holidayHours) }),
  };
}

function distinctSorted(values: string[]): string[] {
  return [...new Set(values)].sort();
}
