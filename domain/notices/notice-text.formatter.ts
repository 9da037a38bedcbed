import { toShanghaiTime, type Instant } from '../calendar/index.js';
import type { Scope } from '../region.js';
import type { NoticeMaterial, NoticeMaterialForm } from './notice.types.js';

export interface ScopeWording {
  /** 政务服务“川渝通办”, followed by the notice name in the title. */
  readonly titlePrefix: string;
  /** How the form names a window: “川渝通办”窗口, or the generic “通办”窗口. */
  readonly window: string;
}

/**
 * Seed 000 fixes the wording for 川渝通办 only. The other kinds of 通办 reuse its
 * forms with their own name in the title and the generic “通办”窗口, because their
 * windows are not branded per kind.
 */
const SCOPE_WORDING: Readonly<Record<Scope, ScopeWording>> = {
  SICHUAN_CHONGQING: { titlePrefix: '政务服务“川渝通办”', window: '“川渝通办”窗口' },
  CROSS_DISTRICT: { titlePrefix: '政务服务“跨区县通办”', window: '“通办”窗口' },
  IN_PROVINCE: { titlePrefix: '政务服务“省内通办”', window: '“通办”窗口' },
  CROSS_PROVINCE: { titlePrefix: '政务服务“跨省通办”', window: '“通办”窗口' },
};

export function scopeWording(scope: Scope): ScopeWording {
  return SCOPE_WORDING[scope];
}

/** For data that arrives untyped (GraphQL, queue payloads), where `scope` may be anything. */
export function isKnownScope(scope: unknown): scope is Scope {
  return typeof scope === 'string' && Object.hasOwn(SCOPE_WORDING, scope);
}

/**
 * 2025年11月24日9时: the forms ask for 年 月 日 时, and Chinese official dates are
 * written without leading zeros.
 */
export function formatHour(instant: Instant): string {
  const { date, minuteOfDay } = toShanghaiTime(instant);
  return `${formatDate(date)}${Math.floor(minuteOfDay / 60)}时`;
}

/** 'YYYY-MM-DD' → 2025年12月1日. */
export function formatDate(date: string): string {
  const [year, month, day] = date.split('-').map(Number);
  return `${year}年${month}月${day}日`;
}

const FORM_WORDING: Readonly<Record<NoticeMaterialForm, (copies: number) => string>> = {
  ORIGINAL: (n) => `原件${n}份`,
  COPY: (n) => `复印件${n}份`,
  ORIGINAL_AND_COPY: (n) => `原件${n}份，复印件${n}份`,
  ELECTRONIC: (n) => `电子件${n}份`,
};

export function formWording(material: NoticeMaterial): string {
  return FORM_WORDING[material.form](material.copies);
}

/** Opinions are written by staff; the form needs each to close its sentence before the next item. */
export function asSentence(text: string): string {
  const trimmed = text.trim();
  return /[。！？.!?]$/.test(trimmed) ? trimmed : `${trimmed}。`;
}
