/**
 * Verification of 渝快办's status pushes (CONTRACT.md §8). Order matters: the signature
 * first (timing-safe), then the timestamp window, then the body; only a push that passed
 * all three may claim its nonce, so a forged or broken request can neither burn a nonce
 * nor fill the nonce store.
 */
import { WebhookRejectedError } from '../platform.errors.js';
import { assertWebhookSender } from '../webhook-identity.js';
import type { InboundWebhook, NonceStore, PlatformEvent } from '../platform.port.js';
import { eventFromWire } from './yukuaiban.mapper.js';
import { checkYukuaibanSignature, YKB_TIMESTAMP_TOLERANCE_MS } from './yukuaiban.signature.js';
import { describeIssues, ykbWebhookSchema } from './yukuaiban.wire.js';

export interface VerifyYukuaibanWebhookOptions {
  /** The app the platform pushes for; X-Ykb-AppKey must name it. */
  appKey: string;
  appSecret: string;
  nonceStore: NonceStore;
  now?: () => number;
  toleranceMs?: number;
  /** Path and query of the receiving URL as configured on the platform — what the platform signed. */
  path: string;
}

export async function verifyYukuaibanWebhook(webhook: InboundWebhook, opts: VerifyYukuaibanWebhookOptions): Promise<PlatformEvent> {
  const toleranceMs = opts.toleranceMs ?? YKB_TIMESTAMP_TOLERANCE_MS;
  const check = checkYukuaibanSignature({
    secret: opts.appSecret,
    method: 'POST',
    pathWithQuery: opts.path,
    headers: webhook.headers,
    body: webhook.rawBody,
    now: (opts.now ?? Date.now)(),
    toleranceMs,
  });
  if (!check.ok) throw new WebhookRejectedError(check.reason, `渝快办推送校验失败：${check.detail}`);
  assertWebhookSender('渝快办', check.appKey, opts.appKey);

  let json: unknown;
  try {
    json = JSON.parse(webhook.rawBody.toString('utf8'));
  } catch (error) {
    throw new WebhookRejectedError('MALFORMED', '渝快办推送的内容不是 JSON', { cause: error });
  }
  const parsed = ykbWebhookSchema.safeParse(json);
  if (!parsed.success) throw new WebhookRejectedError('MALFORMED', `渝快办推送不符合契约：${describeIssues(parsed.error)}`);

  // A nonce must be remembered for as long as its timestamp could still pass the window: up to 2 × tolerance.
  const fresh = await opts.nonceStore.claim(check.nonce, Math.ceil((2 * toleranceMs) / 1000));
  if (!fresh) throw new WebhookRejectedError('REPLAYED', `渝快办推送重放（nonce ${check.nonce} 已使用）`);
  return eventFromWire(parsed.data);
}
