/**
 * Building blocks shared by the adapters' signature modules: digests, HMACs, nonces,
 * timing-safe comparison, case-insensitive header lookup, and the header-signature check
 * order (well-formedness, then signature, then timestamp window). What is signed — each
 * platform's canonical string, header names, encodings and formats — stays in the adapter.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export type SignatureFailure = 'MALFORMED' | 'BAD_SIGNATURE' | 'STALE_TIMESTAMP';

export type HeaderMap = Record<string, string | string[] | undefined>;

export function sha256Hex(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Lower-case hex HMAC (`sha256`, `sm3`, …) of the UTF-8 text. */
export function hmacHex(algorithm: string, secret: string, text: string): string {
  return createHmac(algorithm, secret).update(text, 'utf8').digest('hex');
}

/** 32 lower-case hex characters from a random UUID. */
export function newUuidNonce(): string {
  return randomUUID().replace(/-/g, '');
}

/**
 * Whether two encoded digests are the same bytes, in constant time. Both must decode to
 * the same length (callers check the format first): timingSafeEqual throws otherwise.
 */
export function digestsEqual(expected: string, given: string, encoding: 'hex' | 'base64'): boolean {
  return timingSafeEqual(Buffer.from(expected, encoding), Buffer.from(given, encoding));
}

/** Case-insensitive, because not every framework lower-cases header names as node:http does (there, the first lookup finds it). */
export function rawHeader(headers: HeaderMap, name: string): string | string[] | undefined {
  if (Object.hasOwn(headers, name)) return headers[name];
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** A single-valued header, trimmed; undefined when absent or repeated. */
export function headerText(headers: HeaderMap, name: string): string | undefined {
  const value = rawHeader(headers, name);
  return typeof value === 'string' ? value.trim() : undefined;
}

const TIMESTAMP = /^\d{1,16}$/;

export interface HeaderSignatureScheme {
  /** Header names, lower-case. */
  timestampHeader: string;
  nonceHeader: string;
  signatureHeader: string;
  nonce: RegExp;
  /** Completes `<nonce header> missing or not …`. */
  nonceFormat: string;
  signature: RegExp;
  /** Completes `<signature header> missing or not …`. */
  signatureFormat: string;
  encoding: 'hex' | 'base64';
  /** Lower-case the signature header before checking it (hex schemes that accept either case). */
  lowerCaseSignature?: boolean;
}

export type HeaderSignatureCheck =
  | { ok: true; nonce: string; timestamp: number }
  | { ok: false; reason: SignatureFailure; detail: string };

/** A HeaderSignatureCheck that also says who the request claims to come from, under the name `K`. */
export type SenderSignatureCheck<K extends string> =
  | ({ ok: true; nonce: string; timestamp: number } & { [P in K]: string | undefined })
  | Extract<HeaderSignatureCheck, { ok: false }>;

/** What a request brings to its check: the headers and the raw body as received, the time and the window. */
export interface SignedRequest {
  headers: HeaderMap;
  /** Raw body bytes exactly as received. */
  body: string | Uint8Array;
  now: number;
  toleranceMs: number;
}

/** What signing one request takes besides the platform's own fields. */
export interface SigningInput {
  secret: string;
  /** Raw body bytes exactly as sent. */
  body: string | Uint8Array;
  now: number;
  nonce: string;
}

/**
 * Checks a timestamp+nonce+signature header triple: the formats, then the signature, then
 * the timestamp window — in that order, so an unsigned caller learns nothing about our clock.
 * It does not touch any nonce memory: the caller claims the nonce only after everything else
 * about the request has been accepted.
 */
export function checkHeaderSignature(
  scheme: HeaderSignatureScheme,
  input: { headers: HeaderMap; now: number; toleranceMs: number; expected: (timestamp: string, nonce: string) => string },
): HeaderSignatureCheck {
  const timestamp = headerText(input.headers, scheme.timestampHeader);
  const nonce = headerText(input.headers, scheme.nonceHeader);
  const given = headerText(input.headers, scheme.signatureHeader);
  const signature = scheme.lowerCaseSignature ? given?.toLowerCase() : given;
  if (timestamp === undefined || !TIMESTAMP.test(timestamp)) {
    return { ok: false, reason: 'MALFORMED', detail: `${scheme.timestampHeader} missing or not unix milliseconds` };
  }
  if (nonce === undefined || !scheme.nonce.test(nonce)) {
    return { ok: false, reason: 'MALFORMED', detail: `${scheme.nonceHeader} missing or not ${scheme.nonceFormat}` };
  }
  if (signature === undefined || !scheme.signature.test(signature)) {
    return { ok: false, reason: 'BAD_SIGNATURE', detail: `${scheme.signatureHeader} missing or not ${scheme.signatureFormat}` };
  }
  if (!digestsEqual(input.expected(timestamp, nonce), signature, scheme.encoding)) {
    return { ok: false, reason: 'BAD_SIGNATURE', detail: 'signature does not match' };
  }
  const millis = Number(timestamp);
  if (Math.abs(input.now - millis) > input.toleranceMs) {
    return { ok: false, reason: 'STALE_TIMESTAMP', detail: `timestamp ${millis} is more than ${input.toleranceMs} ms from ${input.now}` };
  }
  return { ok: true, nonce, timestamp: millis };
}

/** Five minutes either side: generous for clock skew, short enough to bound the nonce memory. */
export const HEADER_TIMESTAMP_TOLERANCE_MS = 300_000;

/** The header names of a timestamp+nonce+signature scheme, and of the header naming the sender. */
export interface SignedHeaderNames {
  sender: string;
  timestamp: string;
  nonce: string;
  signature: string;
}

/**
 * A HeaderSignatureScheme over `names` whose nonce is `minNonce`–64 URL-safe characters, the
 * nonce format the header-signed platforms share (they differ only in the minimum).
 */
export function headerScheme(
  names: SignedHeaderNames,
  minNonce: number,
  format: Pick<HeaderSignatureScheme, 'signature' | 'signatureFormat' | 'encoding' | 'lowerCaseSignature'>,
): HeaderSignatureScheme {
  return {
    timestampHeader: names.timestamp,
    nonceHeader: names.nonce,
    signatureHeader: names.signature,
    nonce: new RegExp(`^[A-Za-z0-9_-]{${minNonce},64}$`),
    nonceFormat: `${minNonce}–64 characters [A-Za-z0-9_-]`,
    ...format,
  };
}

/** The four headers of a signed request: sender, timestamp (unix ms), nonce, and `sign(timestamp)`. */
export function signedHeaderSet(
  names: SignedHeaderNames,
  input: { sender: string; now: number; nonce: string },
  sign: (timestamp: string) => string,
): Record<string, string> {
  const timestamp = String(input.now);
  return { [names.sender]: input.sender, [names.timestamp]: timestamp, [names.nonce]: input.nonce, [names.signature]: sign(timestamp) };
}
