/**
 * Verification of the courier's tracking pushes (CONTRACT.md §7). Order matters: the
 * signature first (timing-safe), then the timestamp window, then the body; only a push that
 * passed all three may claim its nonce, so a forged or broken request can neither burn a
 * nonce nor fill the nonce store.
 */
import { WebhookRejectedError } from '../platform.errors.js';
import { assertWebhookSender } from '../webhook-identity.js';
import type { InboundWebhook, NonceStore } from '../platform.port.js';
import type { TrackingPush } from './courier.port.js';
import { pushFromWire } from './courier.mapper.js';
import { checkCourierSignature, COURIER_TIMESTAMP_TOLERANCE_MS } from './courier.signature.js';
import { courierPushSchema, describeIssues } from './courier.wire.js';

export interface VerifyCourierPushOptions {
  /** The partner id the courier issued to us; X-Courier-Partner must name it. */
  partnerId: string;
  secret: string;
  nonceStore: NonceStore;
  now?: () => number;
  toleranceMs?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function verifyCourierPush(webhook: InboundWebhook, opts: VerifyCourierPushOptions): Promise<TrackingPush> {
  const toleranceMs = opts.toleranceMs ?? COURIER_TIMESTAMP_TOLERANCE_MS;
  const check = checkCourierSignature({
    secret: opts.secret,
    headers: webhook.headers,
    body: webhook.rawBody,
    now: (opts.now ?? Date.now)(),
    toleranceMs,
  });
  if (!check.ok) throw new WebhookRejectedError(check.reason, `政务专递推送校验失败：${check.detail}`);
  assertWebhookSender('政务专递', check.partnerId, opts.partnerId);

  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(webhook.rawBody));
  } catch (error) {
    throw new WebhookRejectedError('MALFORMED', '政务专递推送的内容不是 UTF-8 JSON', { cause: error });
  }
  const parsed = courierPushSchema.safeParse(json);
  if (!parsed.success) throw new WebhookRejectedError('MALFORMED', `政务专递推送不符合契约：${describeIssues(parsed.error)}`);

  // Remembered for as long as the timestamp could still pass the window: up to 2 × tolerance.
  // Prefixed because the store may be shared with the platforms' verifiers.
  const fresh = await opts.nonceStore.claim(`courier:${check.nonce}`, Math.ceil((2 * toleranceMs) / 1000));
  if (!fresh) throw new WebhookRejectedError('REPLAYED', `政务专递推送重放（nonce ${check.nonce} 已使用）`);
  return pushFromWire(parsed.data);
}
