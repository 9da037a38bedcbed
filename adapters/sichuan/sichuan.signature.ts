/**
 * The one signing implementation of the 四川一体化 contract (CONTRACT.md §2), and the
 * wire time format its signed requestTime uses, shared by the client, the sandbox and
 * the webhook verifier so that the three can never disagree about a byte.
 */
import { randomBytes } from 'node:crypto';
import { digestsEqual, hmacHex } from '../signing.kit.js';

export const SIGN_TYPE = 'SM3';

/** China has observed no daylight saving time since 1991, so the offset is fixed. */
const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;
const WIRE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const SIGNATURE = /^[0-9a-f]{64}$/;

export interface RequestSigningFields {
  appId: string;
  nonce: string;
  requestTime: string;
}

export interface ResponseSigningFields {
  nonce: string;
  responseTime: string;
  rtnCode: string;
  rtnMsg: string;
}

/**
 * `k1=v1&k2=v2&…&body=<body text>`. No head value may contain '&' (the contract
 * forbids it and both sides check), so the head part splits one way only and
 * everything after the fixed last `&body=` is the body, whatever it contains.
 */
function canonical(fields: ReadonlyArray<readonly [string, string]>, bodyText: string): string {
  for (const [key, value] of fields) {
    if (value.includes('&')) throw new Error(`head field ${key} must not contain '&'`);
  }
  return [...fields.map(([key, value]) => `${key}=${value}`), `body=${bodyText}`].join('&');
}

export function requestCanonical(head: RequestSigningFields, bodyText: string): string {
  return canonical(
    [
      ['appId', head.appId],
      ['nonce', head.nonce],
      ['requestTime', head.requestTime],
      ['signType', SIGN_TYPE],
    ],
    bodyText,
  );
}

export function responseCanonical(head: ResponseSigningFields, bodyText: string): string {
  return canonical(
    [
      ['nonce', head.nonce],
      ['responseTime', head.responseTime],
      ['rtnCode', head.rtnCode],
      ['rtnMsg', head.rtnMsg],
      ['signType', SIGN_TYPE],
    ],
    bodyText,
  );
}

/** Lower-case hex HMAC-SM3 of the UTF-8 canonical string. */
export function sm3Sign(secret: string, canonicalText: string): string {
  return hmacHex('sm3', secret, canonicalText);
}

export function signatureMatches(secret: string, canonicalText: string, sign: unknown): boolean {
  if (typeof sign !== 'string' || !SIGNATURE.test(sign)) return false;
  return digestsEqual(sm3Sign(secret, canonicalText), sign, 'hex');
}

export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** "yyyy-MM-dd HH:mm:ss" in Asia/Shanghai, the only time format on the wire. */
export function formatWireTime(epochMs: number): string {
  const d = new Date(epochMs + SHANGHAI_OFFSET_MS);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** Epoch ms of a wire time, or null unless it is well-formed and a real calendar instant. */
export function parseWireTime(text: string): number | null {
  const m = WIRE_TIME.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second) - SHANGHAI_OFFSET_MS;
  // Date.UTC rolls 2024-02-30 over into March; the round trip catches that.
  return formatWireTime(ms) === text ? ms : null;
}

/** The port's DateTime: ISO-8601 keeping the platform's +08:00 wall clock. */
export function wireTimeToIso(text: string): string {
  return `${text.replace(' ', 'T')}+08:00`;
}
