import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { headerValue, RequestRefusal, type HttpRequest, type HttpRequestHead } from '../http-server.js';

/** A key the gateway signs its subgraph requests with; several are accepted at once while one is rotated out. */
export interface GatewayKey {
  id: string;
  secret: string;
}

export const GATEWAY_SIGNATURE_HEADER = 'x-tongban-gateway-signature';
/** How far the signer's clock may be from the subgraph's. */
export const GATEWAY_SIGNATURE_SKEW_MS = 60_000;

interface Signed {
  method: string;
  /** Path and query string, as sent. */
  target: string;
  body: string | Buffer;
  authorization: string | undefined;
}

/**
 * Binds the request line, the exact body and the caller's token: a signed
 * request cannot be replayed with another body or another caller's token, and
 * it goes stale after the skew window.
 */
function mac(secret: string, at: number, request: Signed): string {
  const bodyDigest = createHash('sha256').update(request.body).digest('base64url');
  return createHmac('sha256', secret)
    .update(`${at}\n${request.method}\n${request.target}\n${bodyDigest}\n${request.authorization ?? ''}`)
    .digest('base64url');
}

export function signGatewayRequest(key: GatewayKey, request: Signed, now = Date.now()): string {
  return `v1;kid=${key.id};ts=${now};sig=${mac(key.secret, now, request)}`;
}

function refuse(message: string): RequestRefusal {
  return new RequestRefusal(401, 'AUTH.GATEWAY_SIGNATURE', message);
}

interface ParsedSignature {
  key: GatewayKey;
  at: number;
  signature: string;
}

/**
 * What the headers alone can tell: a well-formed signature by a known key within
 * the skew window. Runs before the body is read, so a caller who went around the
 * gateway costs its headers only.
 */
export function checkGatewaySignatureHead(keys: readonly GatewayKey[], request: HttpRequestHead, now = Date.now()): ParsedSignature {
  const header = headerValue(request.headers[GATEWAY_SIGNATURE_HEADER]);
  const match = /^v1;kid=([A-Za-z0-9_.-]{1,64});ts=(\d{1,16});sig=([A-Za-z0-9_-]{43})$/.exec(header ?? '');
  if (!match) throw refuse('subgraphs answer the gateway only');
  const key = keys.find((k) => k.id === match[1]);
  if (!key) throw refuse('unknown gateway key');
  const at = Number(match[2]);
  if (Math.abs(now - at) > GATEWAY_SIGNATURE_SKEW_MS) throw refuse('gateway signature outside the time window');
  return { key, at, signature: match[3]! };
}

export function verifyGatewaySignature(parsed: ParsedSignature, request: HttpRequest): void {
  const expected = Buffer.from(
    mac(parsed.key.secret, parsed.at, {
      method: request.method,
      target: `${request.path}${request.search}`,
      body: request.rawBody,
      authorization: headerValue(request.headers.authorization),
    }),
  );
  const given = Buffer.from(parsed.signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refuse('gateway signature does not match the request');
}

/** `kid:secret,kid:secret` — the first signs, every one verifies. */
export function parseGatewayKeys(text: string): GatewayKey[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const index = part.indexOf(':');
      return { id: part.slice(0, index), secret: part.slice(index + 1) };
    });
}
