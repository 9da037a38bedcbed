/**
 * Verification of 四川一体化 status pushes (CONTRACT.md §6). Nothing of a push may be
 * stored before it passes: signature, then time window, then nonce.
 */
import { WebhookRejectedError } from '../platform.errors.js';
import { assertWebhookSender } from '../webhook-identity.js';
import type { InboundWebhook, NonceStore, PlatformEvent } from '../platform.port.js';
import {
  CASE_STATUS_STAGE,
  DECISION_RESULT,
  TIME_TOLERANCE_MS,
  requestEnvelopeSchema,
  wireCaseEventSchema,
} from './sichuan.contract.js';
import { parseWireTime, requestCanonical, signatureMatches, wireTimeToIso } from './sichuan.signature.js';

export interface VerifySichuanWebhookOptions {
  /** The app the platform pushes for; head.appId must name it. */
  appId: string;
  appSecret: string;
  nonceStore: NonceStore;
  now?: () => number;
  /** How far requestTime may lie from now, either way (default 5 min). */
  toleranceMs?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function verifySichuanWebhook(webhook: InboundWebhook, options: VerifySichuanWebhookOptions): Promise<PlatformEvent> {
  const toleranceMs = options.toleranceMs ?? TIME_TOLERANCE_MS;
  const now = (options.now ?? Date.now)();

  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(webhook.rawBody));
  } catch (error) {
    throw new WebhookRejectedError('MALFORMED', '四川一体化推送不是合法的 UTF-8 JSON', { cause: error });
  }
  const envelope = requestEnvelopeSchema.safeParse(json);
  if (!envelope.success) throw new WebhookRejectedError('MALFORMED', '四川一体化推送报文头格式错误');
  const { head, body } = envelope.data;

  // Checked first: until the signature holds, nothing in the push — its time and nonce included — is trustworthy.
  if (!signatureMatches(options.appSecret, requestCanonical(head, body), head.sign)) {
    throw new WebhookRejectedError('BAD_SIGNATURE', '四川一体化推送签名校验失败');
  }
  assertWebhookSender('四川一体化', head.appId, options.appId);
  const sentAt = parseWireTime(head.requestTime)!;
  if (Math.abs(now - sentAt) > toleranceMs) {
    throw new WebhookRejectedError('STALE_TIMESTAMP', `四川一体化推送时间 ${head.requestTime} 超出允许范围`);
  }

  let bodyJson: unknown;
  try {
    bodyJson = JSON.parse(body);
  } catch (error) {
    throw new WebhookRejectedError('MALFORMED', '四川一体化推送内容不是合法 JSON', { cause: error });
  }
  const event = wireCaseEventSchema.safeParse(bodyJson);
  if (!event.success) throw new WebhookRejectedError('MALFORMED', '四川一体化推送内容格式错误');

  // A push stays acceptable until its requestTime is toleranceMs in the past, which can be
  // up to twice the tolerance after it arrives (it may be stamped up to toleranceMs ahead).
  const ttlSeconds = Math.ceil((2 * toleranceMs) / 1000);
  // Prefixed because the store may be shared with other platforms' verifiers.
  if (!(await options.nonceStore.claim(`sichuan:${head.nonce}`, ttlSeconds))) {
    throw new WebhookRejectedError('REPLAYED', `四川一体化推送重复（nonce ${head.nonce}）`);
  }

  const e = event.data;
  return {
    eventId: e.eventId,
    region: 'SICHUAN',
    platformCaseId: e.caseId,
    businessNo: e.businessNo,
    stage: CASE_STATUS_STAGE[e.status],
    decision: e.decisionResult === null ? null : DECISION_RESULT[e.decisionResult],
    reasons: e.reasonList,
    at: wireTimeToIso(e.statusTime),
    ...(e.certRevoke ? { certificateRevoked: { verificationCode: e.certRevoke.verifyCode, revokedAt: wireTimeToIso(e.certRevoke.revokeTime), reason: e.certRevoke.revokeReason } } : {}),
  };
}
