/**
 * The notification gateway's request signature (CONTRACT.md §2). One implementation, used by the
 * client to sign and by the sandbox to check, so the two sides cannot drift apart.
 */
import { checkHeaderSignature, HEADER_TIMESTAMP_TOLERANCE_MS, headerScheme, hmacHex, newUuidNonce, sha256Hex, signedHeaderSet } from '../signing.kit.js';
import type { HeaderSignatureCheck, SignatureFailure, SignedRequest, SigningInput } from '../signing.kit.js';

export const NOTIFY_HEADER = {
  app: 'x-notify-app',
  timestamp: 'x-notify-timestamp',
  nonce: 'x-notify-nonce',
  signature: 'x-notify-signature',
} as const;

export const NOTIFY_TIMESTAMP_TOLERANCE_MS = HEADER_TIMESTAMP_TOLERANCE_MS;

const NAMES = { sender: NOTIFY_HEADER.app, timestamp: NOTIFY_HEADER.timestamp, nonce: NOTIFY_HEADER.nonce, signature: NOTIFY_HEADER.signature };

const SCHEME = headerScheme(NAMES, 16, { signature: /^[0-9a-f]{64}$/, signatureFormat: '64 lower-case hex digits', encoding: 'hex' });

export interface NotifySignatureInput {
  appId: string;
  secret: string;
  timestamp: string;
  nonce: string;
  /** Raw body bytes exactly as sent; empty for a GET. */
  body: string | Uint8Array;
}

function notifyStringToSign(input: Omit<NotifySignatureInput, 'secret'>): string {
  return [input.appId, input.timestamp, input.nonce, sha256Hex(input.body)].join('\n');
}

/** Lower-case hex HMAC-SHA256 of the string to sign. */
export function signNotify(input: NotifySignatureInput): string {
  return hmacHex('sha256', input.secret, notifyStringToSign(input));
}

export function newNotifyNonce(): string {
  return newUuidNonce();
}

export function signedNotifyHeaders(input: SigningInput & { appId: string }): Record<string, string> {
  return signedHeaderSet(NAMES, { ...input, sender: input.appId }, (timestamp) => signNotify({ ...input, timestamp }));
}

export type NotifySignatureFailure = SignatureFailure;

export type NotifySignatureCheck = HeaderSignatureCheck;

/**
 * Checks the signature, then the timestamp window — in that order, so an unsigned caller learns
 * nothing about the gateway's clock. The nonce is left to the caller to claim, once everything
 * else about the request has been accepted.
 */
export function checkNotifySignature(input: SignedRequest & { appId: string; secret: string }): NotifySignatureCheck {
  return checkHeaderSignature(SCHEME, { ...input, expected: (timestamp, nonce) => signNotify({ ...input, timestamp, nonce }) });
}
