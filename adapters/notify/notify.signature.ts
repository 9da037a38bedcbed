/**
 * The notification gateway's request signature (CONTRACT.md §2). One implementation, used by the
 * client to sign and by the sandbox to check, so the two sides cannot drift apart.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export const NOTIFY_HEADER = {
  app: 'x-notify-app',
  timestamp: 'x-notify-timestamp',
  nonce: 'x-notify-nonce',
  signature: 'x-notify-signature',
} as const;

/** Five minutes either side: generous for clock skew, short enough to bound the nonce memory. */
export const NOTIFY_TIMESTAMP_TOLERANCE_MS = 300_000;

const TIMESTAMP = /^\d{1,16}$/;
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;

export interface NotifySignatureInput {
  appId: string;
  secret: string;
  timestamp: string;
  nonce: string;
  /** Raw body bytes exactly as sent; empty for a GET. */
  body: string | Uint8Array;
}

function sha256Hex(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

function notifyStringToSign(input: Omit<NotifySignatureInput, 'secret'>): string {
  return [input.appId, input.timestamp, input.nonce, sha256Hex(input.body)].join('\n');
}

/** Lower-case hex HMAC-SHA256 of the string to sign. */
export function signNotify(input: NotifySignatureInput): string {
  return createHmac('sha256', input.secret).update(notifyStringToSign(input), 'utf8').digest('hex');
}

export function newNotifyNonce(): string {
  return randomUUID().replace(/-/g, '');
}

export function signedNotifyHeaders(input: {
  appId: string;
  secret: string;
  body: string | Uint8Array;
  now: number;
  nonce: string;
}): Record<string, string> {
  const timestamp = String(input.now);
  return {
    [NOTIFY_HEADER.app]: input.appId,
    [NOTIFY_HEADER.timestamp]: timestamp,
    [NOTIFY_HEADER.nonce]: input.nonce,
    [NOTIFY_HEADER.signature]: signNotify({ appId: input.appId, secret: input.secret, timestamp, nonce: input.nonce, body: input.body }),
  };
}

export type NotifySignatureFailure = 'MALFORMED' | 'BAD_SIGNATURE' | 'STALE_TIMESTAMP';

export type NotifySignatureCheck =
  | { ok: true; nonce: string; timestamp: number }
  | { ok: false; reason: NotifySignatureFailure; detail: string };

/** Case-insensitive, because not every framework lower-cases header names as node:http does. */
function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return typeof value === 'string' ? value.trim() : undefined;
}

/**
 * Checks the signature, then the timestamp window — in that order, so an unsigned caller learns
 * nothing about the gateway's clock. The nonce is left to the caller to claim, once everything
 * else about the request has been accepted.
 */
export function checkNotifySignature(input: {
  appId: string;
  secret: string;
  headers: Record<string, string | string[] | undefined>;
  body: string | Uint8Array;
  now: number;
  toleranceMs: number;
}): NotifySignatureCheck {
  const timestamp = headerValue(input.headers, NOTIFY_HEADER.timestamp);
  const nonce = headerValue(input.headers, NOTIFY_HEADER.nonce);
  const signature = headerValue(input.headers, NOTIFY_HEADER.signature);
  if (timestamp === undefined || !TIMESTAMP.test(timestamp)) {
    return { ok: false, reason: 'MALFORMED', detail: `${NOTIFY_HEADER.timestamp} missing or not unix milliseconds` };
  }
  if (nonce === undefined || !NONCE.test(nonce)) {
    return { ok: false, reason: 'MALFORMED', detail: `${NOTIFY_HEADER.nonce} missing or not 16–64 characters [A-Za-z0-9_-]` };
  }
  if (signature === undefined || !SIGNATURE.test(signature)) {
    return { ok: false, reason: 'BAD_SIGNATURE', detail: `${NOTIFY_HEADER.signature} missing or not 64 lower-case hex digits` };
  }
  const expected = signNotify({ appId: input.appId, secret: input.secret, timestamp, nonce, body: input.body });
  if (!timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(signature, 'hex'))) {
    return { ok: false, reason: 'BAD_SIGNATURE', detail: 'signature does not match' };
  }
  const millis = Number(timestamp);
  if (Math.abs(input.now - millis) > input.toleranceMs) {
    return { ok: false, reason: 'STALE_TIMESTAMP', detail: `timestamp ${millis} is more than ${input.toleranceMs} ms from ${input.now}` };
  }
  return { ok: true, nonce, timestamp: millis };
}
