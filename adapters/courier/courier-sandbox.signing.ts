/**
 * The courier sandbox's side of the signature (courier.signature.ts): checking the partner id,
 * signature, timestamp and nonce of every API request, and signing the tracking pushes it sends.
 */
import { headerAuthenticator, type RequestChecker } from '../sandbox-signing.kit.js';
import { checkCourierSignature, COURIER_HEADER, signedCourierHeaders } from './courier.signature.js';
import { COURIER_CODE } from './courier.wire.js';
import { fail } from './courier-sandbox.state.js';

const REFUSALS = { unknownSender: COURIER_CODE.partnerUnknown, badSignature: COURIER_CODE.signError, staleTimestamp: COURIER_CODE.timestampExpired, replayedNonce: COURIER_CODE.nonceReplayed };

export function courierAuthenticator(opts: { partnerId: string; secret: string; now: () => number; toleranceMs: number }) {
  const check: RequestChecker = (req, body, now) => checkCourierSignature({ ...opts, headers: req.headers, body, now });
  return headerAuthenticator({ ...opts, senderHeader: COURIER_HEADER.partner, sender: opts.partnerId, unknownSender: '合作方编号无效', check, fail, codes: REFUSALS });
}

/** How a push is signed: by the sandbox's secret, or another (a forged push), at a given time with a given nonce. */
export interface PushSigning {
  secret: string;
  timestamp: number;
  nonce: string;
}

export function signedPushHeaders(partnerId: string, body: string, signing: PushSigning): Record<string, string> {
  return signedCourierHeaders({ partnerId, secret: signing.secret, body, now: signing.timestamp, nonce: signing.nonce });
}
