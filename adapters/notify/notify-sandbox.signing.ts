/**
 * The notification gateway sandbox's side of the signature (notify.signature.ts): checking
 * the app id, signature, timestamp and nonce of every request.
 */
import { headerAuthenticator } from '../sandbox-signing.kit.js';
import { checkNotifySignature, NOTIFY_HEADER } from './notify.signature.js';
import { NOTIFY_CODE } from './notify.wire.js';
import { fail } from './notify-sandbox.state.js';

export function notifyAuthenticator(opts: { appId: string; secret: string; now: () => number; toleranceMs: number }) {
  return headerAuthenticator({
    senderHeader: NOTIFY_HEADER.app,
    sender: opts.appId,
    unknownSender: '应用标识无效',
    now: opts.now,
    toleranceMs: opts.toleranceMs,
    check: (req, raw, at) => checkNotifySignature({ appId: opts.appId, secret: opts.secret, headers: req.headers, body: raw, now: at, toleranceMs: opts.toleranceMs }),
    fail,
    codes: {
      unknownSender: NOTIFY_CODE.appUnknown,
      badSignature: NOTIFY_CODE.signatureInvalid,
      staleTimestamp: NOTIFY_CODE.timestampExpired,
      replayedNonce: NOTIFY_CODE.nonceReplayed,
    },
  });
}
