/**
 * The 渝快办 request signature (CONTRACT.md §2). One implementation, used by the client
 * to sign calls, by the sandbox to check them and to sign its pushes, and by the webhook
 * verifier — so the two sides cannot drift apart.
 */
import { checkHeaderSignature, HEADER_TIMESTAMP_TOLERANCE_MS, headerScheme, headerText, hmacHex, newUuidNonce, sha256Hex, signedHeaderSet } from '../signing.kit.js';
import type { SenderSignatureCheck, SignatureFailure, SignedRequest, SigningInput } from '../signing.kit.js';

export { sha256Hex, type SignatureFailure };

export const YKB_HEADER = {
  appKey: 'x-ykb-appkey',
  timestamp: 'x-ykb-timestamp',
  nonce: 'x-ykb-nonce',
  signature: 'x-ykb-signature',
  idempotencyKey: 'x-ykb-idempotency-key',
} as const;

export const YKB_TIMESTAMP_TOLERANCE_MS = HEADER_TIMESTAMP_TOLERANCE_MS;

const NAMES = { sender: YKB_HEADER.appKey, timestamp: YKB_HEADER.timestamp, nonce: YKB_HEADER.nonce, signature: YKB_HEADER.signature };

const SCHEME = headerScheme(NAMES, 8, { signature: /^[0-9a-f]{64}$/, signatureFormat: '64 hex characters', encoding: 'hex', lowerCaseSignature: true });

export interface YukuaibanSignatureInput {
  secret: string;
  method: string;
  /** Path and query exactly as they appear in the HTTP request line, e.g. `/api/v1/items?page=1`. */
  pathWithQuery: string;
  timestamp: string;
  nonce: string;
  /** Raw body bytes as sent; the empty string for a GET. */
  body: string | Uint8Array;
  /** A file upload's declared digest, signed in the body's place: the client never holds the file to hash it (CONTRACT.md §9). */
  bodySha256?: string;
}

export function yukuaibanStringToSign(input: Omit<YukuaibanSignatureInput, 'secret'>): string {
  return [input.method.toUpperCase(), input.pathWithQuery, input.timestamp, input.nonce, input.bodySha256 ?? sha256Hex(input.body)].join('\n');
}

/** Lower-case hex HMAC-SHA256 of the string to sign. */
export function signYukuaiban(input: YukuaibanSignatureInput): string {
  return hmacHex('sha256', input.secret, yukuaibanStringToSign(input));
}

export function newYukuaibanNonce(): string {
  return newUuidNonce();
}

/** The request line's part of the signature: method, and path and query exactly as sent. */
interface RequestLine {
  method: string;
  pathWithQuery: string;
  bodySha256?: string;
}

export function signedYukuaibanHeaders(input: SigningInput & RequestLine & { appKey: string }): Record<string, string> {
  return signedHeaderSet(NAMES, { ...input, sender: input.appKey }, (timestamp) => signYukuaiban({ ...input, timestamp }));
}

export type SignatureCheck = SenderSignatureCheck<'appKey'>;

/**
 * Checks the signature, then the timestamp window — in that order, so an unsigned caller
 * learns nothing about our clock. It does not touch any nonce memory: the caller claims
 * the nonce only after everything else about the request has been accepted.
 */
export function checkYukuaibanSignature(input: SignedRequest & RequestLine & { secret: string }): SignatureCheck {
  const check = checkHeaderSignature(SCHEME, { ...input, expected: (timestamp, nonce) => signYukuaiban({ ...input, timestamp, nonce }) });
  return check.ok ? { ...check, appKey: headerText(input.headers, YKB_HEADER.appKey) } : check;
}
