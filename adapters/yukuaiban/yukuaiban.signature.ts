/**
 * The 渝快办 request signature (CONTRACT.md §2). One implementation, used by the client
 * to sign calls, by the sandbox to check them and to sign its pushes, and by the webhook
 * verifier — so the two sides cannot drift apart.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export const YKB_HEADER = {
  appKey: 'x-ykb-appkey',
  timestamp: 'x-ykb-timestamp',
  nonce: 'x-ykb-nonce',
  signature: 'x-ykb-signature',
  idempotencyKey: 'x-ykb-idempotency-key',
} as const;

/** Five minutes either side: generous for clock skew, short enough to bound the nonce memory. */
export const YKB_TIMESTAMP_TOLERANCE_MS = 300_000;

const TIMESTAMP = /^\d{1,16}$/;
const NONCE = /^[A-Za-z0-9_-]{8,64}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;

export interface YukuaibanSignatureInput {
  secret: string;
  method: string;
  /** Path and query exactly as they appear in the HTTP request line, e.g. `/api/v1/items?page=1`. */
  pathWithQuery: string;
  timestamp: string;
  nonce: string;
  /** Raw body bytes as sent; the empty string for a GET. */
  body: string | Uint8Array;
}

export function sha256Hex(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

export function yukuaibanStringToSign(input: Omit<YukuaibanSignatureInput, 'secret'>): string {
  return [input.method.toUpperCase(), input.pathWithQuery, input.timestamp, input.nonce, sha256Hex(input.body)].join('\n');
}

/** Lower-case hex HMAC-SHA256 of the string to sign. */
export function signYukuaiban(input: YukuaibanSignatureInput): string {
  return createHmac('sha256', input.secret).update(yukuaibanStringToSign(input), 'utf8').digest('hex');
}

export function newYukuaibanNonce(): string {
  return randomUUID().replace(/-/g, '');
}

export function signedYukuaibanHeaders(input: {
  appKey: string;
  secret: string;
  method: string;
  pathWithQuery: string;
  body: string | Uint8Array;
  now: number;
  nonce: string;
}): Record<string, string> {
  const timestamp = String(input.now);
  return {
    [YKB_HEADER.appKey]: input.appKey,
    [YKB_HEADER.timestamp]: timestamp,
    [YKB_HEADER.nonce]: input.nonce,
    [YKB_HEADER.signature]: signYukuaiban({ ...input, timestamp }),
  };
}

export type SignatureFailure = 'MALFORMED' | 'BAD_SIGNATURE' | 'STALE_TIMESTAMP';

export type SignatureCheck =
  | { ok: true; appKey: string | undefined; nonce: string; timestamp: number }
  | { ok: false; reason: SignatureFailure; detail: string };

/** Case-insensitive, because not every framework lower-cases header names as node:http does. */
function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | string[] | undefined {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/**
 * Checks the signature, then the timestamp window — in that order, so an unsigned caller
 * learns nothing about our clock. It does not touch any nonce memory: the caller claims
 * the nonce only after everything else about the request has been accepted.
 */
export function checkYukuaibanSignature(input: {
  secret: string;
  method: string;
  pathWithQuery: string;
  headers: Record<string, string | string[] | undefined>;
  body: string | Uint8Array;
  now: number;
  toleranceMs: number;
}): SignatureCheck {
  const single = (name: string): string | undefined => {
    const value = headerValue(input.headers, name);
    return typeof value === 'string' ? value.trim() : undefined;
  };
  const timestamp = single(YKB_HEADER.timestamp);
  const nonce = single(YKB_HEADER.nonce);
  const signature = single(YKB_HEADER.signature)?.toLowerCase();
  if (timestamp === undefined || !TIMESTAMP.test(timestamp)) {
    return { ok: false, reason: 'MALFORMED', detail: `${YKB_HEADER.timestamp} missing or not unix milliseconds` };
  }
  if (nonce === undefined || !NONCE.test(nonce)) {
    return { ok: false, reason: 'MALFORMED', detail: `${YKB_HEADER.nonce} missing or not 8–64 characters [A-Za-z0-9_-]` };
  }
  if (signature === undefined || !SIGNATURE.test(signature)) {
    return { ok: false, reason: 'BAD_SIGNATURE', detail: `${YKB_HEADER.signature} missing or not 64 hex characters` };
  }
  const expected = Buffer.from(signYukuaiban({ ...input, timestamp, nonce }), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    return { ok: false, reason: 'BAD_SIGNATURE', detail: 'signature does not match' };
  }
  const millis = Number(timestamp);
  if (Math.abs(input.now - millis) > input.toleranceMs) {
    return { ok: false, reason: 'STALE_TIMESTAMP', detail: `timestamp ${millis} is more than ${input.toleranceMs} ms from ${input.now}` };
  }
  return { ok: true, appKey: single(YKB_HEADER.appKey), nonce, timestamp: millis };
}
