/**
 * The notification gateway sandbox's side of the signature (notify.signature.ts): checking
 * the app id, signature, timestamp and nonce of every request.
 */
import { headerAuthenticator, type RequestChecker } from '../sandbox-signing.kit.js';
import { checkNotifySignature, NOTIFY_HEADER } from './notify.signature.js';
import { NOTIFY_CODE } from './notify.wire.js';
import { fail } from './notify-sandbox.state.js';

const REFUSALS = { unknownSender: NOTIFY_CODE.appUnknown, badSignature: NOTIFY_CODE.signatureInvalid, staleTimestamp: NOTIFY_CODE.timestampExpired, replayedNonce: NOTIFY_CODE.nonceReplayed };

export function notifyAuthenticator(opts: { appId: string; secret: string; now: () => number; toleranceMs: number }) {
  const check: RequestChecker = (req, body, now) => checkNotifySignature({ ...opts, headers: req.headers, body, now });
  return headerAuthenticator({ ...opts, senderHeader: NOTIFY_HEADER.app, sender: opts.appId, unknownSender: '应用标识无效', check, fail, codes: REFUSALS });
}
