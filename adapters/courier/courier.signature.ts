/**
 * The courier request signature (CONTRACT.md §2). One implementation, used by the client to
 * sign calls, by the sandbox to check them and to sign its pushes, and by the push verifier —
 * so the sides cannot drift apart.
 */
import { createHmac } from 'node:crypto';
import { checkHeaderSignature, HEADER_TIMESTAMP_TOLERANCE_MS, headerScheme, headerText, newUuidNonce, signedHeaderSet } from '../signing.kit.js';
import type { SenderSignatureCheck, SignatureFailure, SignedRequest, SigningInput } from '../signing.kit.js';

export type { SignatureFailure };

export const COURIER_HEADER = {
  partner: 'x-courier-partner',
  timestamp: 'x-courier-timestamp',
  nonce: 'x-courier-nonce',
  sign: 'x-courier-sign',
  idempotencyKey: 'x-idempotency-key',
} as const;

export const COURIER_TIMESTAMP_TOLERANCE_MS = HEADER_TIMESTAMP_TOLERANCE_MS;

const NAMES = { sender: COURIER_HEADER.partner, timestamp: COURIER_HEADER.timestamp, nonce: COURIER_HEADER.nonce, signature: COURIER_HEADER.sign };

/** Base64 of the 32 bytes of an HMAC-SHA256: 43 characters and one pad. */
const SCHEME = headerScheme(NAMES, 16, { signature: /^[A-Za-z0-9+/]{43}=$/, signatureFormat: 'base64 of 32 bytes', encoding: 'base64' });

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
  return newUuidNonce();
}

export function signedCourierHeaders(input: SigningInput & { partnerId: string }): Record<string, string> {
  return signedHeaderSet(NAMES, { ...input, sender: input.partnerId }, (timestamp) => signCourier({ ...input, timestamp }));
}

export type SignatureCheck = SenderSignatureCheck<'partnerId'>;

/**
 * Checks the signature, then the timestamp window — in that order, so an unsigned caller
 * learns nothing about our clock. It does not touch any nonce memory: the caller claims
 * the nonce only after everything else about the request has been accepted.
 */
export function checkCourierSignature(input: SignedRequest & { secret: string }): SignatureCheck {
  const check = checkHeaderSignature(SCHEME, { ...input, expected: (timestamp, nonce) => signCourier({ ...input, timestamp, nonce }) });
  return check.ok ? { ...check, partnerId: headerText(input.headers, COURIER_HEADER.partner) } : check;
}
