/**
 * The courier request signature (CONTRACT.md §2). One implementation, used by the client to
 * sign calls, by the sandbox to check them and to sign its pushes, and by the push verifier —
 * so the sides cannot drift apart.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export const COURIER_HEADER = {
  partner: 'x-courier-partner',
  timestamp: 'x-courier-timestamp',
  nonce: 'x-courier-nonce',
  sign: 'x-courier-sign',
  idempotencyKey: 'x-idempotency-key',
} as const;

/** Five minutes either side: generous for clock skew, short enough to bound the nonce memory. */
export const COURIER_TIMESTAMP_TOLERANCE_MS = 300_000;

const TIMESTAMP = /^\d{1,16}$/;
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
/** Base64 of the 32 bytes of an HMAC-SHA256: 43 characters and one pad. */
const SIGN = /^[A-Za-z0-9+/]{43}=$/;

export interface CourierSignatureInput {
  secret: string;
  timestamp: string;
  nonce: string;
  /** Raw body bytes exactly as sent. */
  body: string | Uint8Array;
}

/**
 * Base64 HMAC-SHA256 over `timestamp \n nonce \n body`. The body goes in as bytes, never
 * re-encoded, so a receiver verifies what arrived rather than what it parsed.
 */
export function signCourier(input: CourierSignatureInput): string {
  return createHmac('sha256', input.secret)
    .update(`${input.timestamp}\n${input.nonce}\n`, 'utf8')
    .update(input.body)
    .digest('base64');
}

export function newCourierNonce(): string {
  return randomUUID().replace(/-/g, '');
}

export function signedCourierHeaders(input: {
  partnerId: string;
  secret: string;
  body: string | Uint8Array;
  now: number;
  nonce: string;
}): Record<string, string> {
  const timestamp = String(input.now);
  return {
    [COURIER_HEADER.partner]: input.partnerId,
    [COURIER_HEADER.timestamp]: timestamp,
    [COURIER_HEADER.nonce]: input.nonce,
    [COURIER_HEADER.sign]: signCourier({ secret: input.secret, timestamp, nonce: input.nonce, body: input.body }),
  };
}

export type SignatureFailure = 'MALFORMED' | 'BAD_SIGNATURE' | 'STALE_TIMESTAMP';

export type SignatureCheck =
  | { ok: true; partnerId: string | undefined; nonce: string; timestamp: number }
  | { ok: false; reason: SignatureFailure; detail: string };

/** Case-insensitive, because not every framework lower-cases header names as node:http does. */
function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return typeof value === 'string' ? value.trim() : undefined;
}

/**
 * Checks the signature, then the timestamp window — in that order, so an unsigned caller
 * learns nothing about our clock. It does not touch any nonce memory: the caller claims
 * the nonce only after everything else about the request has been accepted.
 */
export function checkCourierSignature(input: {
  secret: string;
  headers: Record<string, string | string[] | undefined>;
  body: string | Uint8Array;
  now: number;
  toleranceMs: number;
}): SignatureCheck {
  const timestamp = headerValue(input.headers, COURIER_HEADER.timestamp);
  const nonce = headerValue(input.headers, COURIER_HEADER.nonce);
  const sign = headerValue(input.headers, COURIER_HEADER.sign);
  if (timestamp === undefined || !TIMESTAMP.test(timestamp)) {
    return { ok: false, reason: 'MALFORMED', detail: `${COURIER_HEADER.timestamp} missing or not unix milliseconds` };
  }
  if (nonce === undefined || !NONCE.test(nonce)) {
    return { ok: false, reason: 'MALFORMED', detail: `${COURIER_HEADER.nonce} missing or not 16–64 characters [A-Za-z0-9_-]` };
  }
  if (sign === undefined || !SIGN.test(sign)) {
    return { ok: false, reason: 'BAD_SIGNATURE', detail: `${COURIER_HEADER.sign} missing or not base64 of 32 bytes` };
  }
  const expected = Buffer.from(signCourier({ secret: input.secret, timestamp, nonce, body: input.body }), 'base64');
  if (!timingSafeEqual(expected, Buffer.from(sign, 'base64'))) {
    return { ok: false, reason: 'BAD_SIGNATURE', detail: 'signature does not match' };
  }
  const millis = Number(timestamp);
  if (Math.abs(input.now - millis) > input.toleranceMs) {
    return { ok: false, reason: 'STALE_TIMESTAMP', detail: `timestamp ${millis} is more than ${input.toleranceMs} ms from ${input.now}` };
  }
  return { ok: true, partnerId: headerValue(input.headers, COURIER_HEADER.partner), nonce, timestamp: millis };
}
