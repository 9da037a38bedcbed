/**
 * How the header-signed sandboxes (渝快办, the courier, the notification gateway) authenticate
 * a request, in the order their contracts give: the sender's id, then the signature and the
 * timestamp window, then the nonce — claimed last, so a refused request leaves nothing behind.
 * The check itself and the reply envelope stay in each sandbox's signing module.
 *
 * Development and integration tests only; nothing in it is for production.
 */
import type { IncomingMessage } from 'node:http';
import { createNonceMemory } from './sandbox.kit.js';
import type { SignatureFailure } from './signing.kit.js';

export type RequestCheck = { ok: true; nonce: string } | { ok: false; reason: SignatureFailure; detail: string };

/** Checks one request's signature against its raw body at `now` (the nonce is left to the authenticator). */
export type RequestChecker = (req: IncomingMessage, body: Buffer, now: number) => RequestCheck;

export interface HeaderAuthenticatorOptions<C, R> {
  senderHeader: string;
  sender: string;
  /** What the refusal of another sender says. */
  unknownSender: string;
  now: () => number;
  toleranceMs: number;
  check: RequestChecker;
  fail(status: number, code: C, message: string): R;
  codes: { unknownSender: C; badSignature: C; staleTimestamp: C; replayedNonce: C };
}

/** A request's refusal (401 in the sandbox's envelope), or null once it is authenticated and its nonce claimed. */
export function headerAuthenticator<C, R>(p: HeaderAuthenticatorOptions<C, R>): (req: IncomingMessage, raw: Buffer) => R | null {
  // Remembered for twice the window: as long as a request carrying the nonce could still pass the timestamp check.
  const nonces = createNonceMemory(2 * p.toleranceMs);
  return (req, raw) => {
    if (req.headers[p.senderHeader] !== p.sender) return p.fail(401, p.codes.unknownSender, p.unknownSender);
    const at = p.now();
    const check = p.check(req, raw, at);
    if (!check.ok) {
      const code = check.reason === 'STALE_TIMESTAMP' ? p.codes.staleTimestamp : p.codes.badSignature;
      return p.fail(401, code, `认证失败：${check.detail}`);
    }
    if (!nonces.claim(check.nonce, at)) return p.fail(401, p.codes.replayedNonce, 'nonce 已使用');
    return null;
  };
}
