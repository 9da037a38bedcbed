/**
 * The 渝快办 sandbox's side of the signature (yukuaiban.signature.ts): checking the AppKey,
 * signature, timestamp and nonce of every API request, and signing the webhooks it sends.
 */
import { headerAuthenticator, type RequestChecker } from '../sandbox-signing.kit.js';
import { checkYukuaibanSignature, newYukuaibanNonce, signedYukuaibanHeaders, YKB_HEADER } from './yukuaiban.signature.js';
import { YKB_CODE } from './yukuaiban.wire.js';
import { declaredUploadDigest } from './yukuaiban-sandbox.files.js';
import { fail } from './yukuaiban-sandbox.state.js';

const REFUSALS = { unknownSender: YKB_CODE.unknownAppKey, badSignature: YKB_CODE.badSignature, staleTimestamp: YKB_CODE.staleTimestamp, replayedNonce: YKB_CODE.replayedNonce };

export function yukuaibanAuthenticator(opts: { appKey: string; appSecret: string; now: () => number; toleranceMs: number }) {
  const check: RequestChecker = (req, body, now) =>
    checkYukuaibanSignature({ ...opts, secret: opts.appSecret, method: req.method ?? '', pathWithQuery: req.url ?? '', bodySha256: declaredUploadDigest(req), headers: req.headers, body, now });
  return headerAuthenticator({ ...opts, senderHeader: YKB_HEADER.appKey, sender: opts.appKey, unknownSender: 'AppKey 无效', check, fail, codes: REFUSALS });
}

/** Headers of one webhook attempt, signed now with a fresh nonce over the path the receiver sees. */
export function signedWebhookHeaders(opts: { appKey: string; appSecret: string; signPath: string; now: number }, body: string): Record<string, string> {
  return signedYukuaibanHeaders({
    appKey: opts.appKey,
    secret: opts.appSecret,
    method: 'POST',
    pathWithQuery: opts.signPath,
    body,
    now: opts.now,
    nonce: newYukuaibanNonce(),
  });
}
