import { WebhookRejectedError } from './platform.errors.js';

/**
 * Every push names who sends it (渝快办's AppKey, 四川's head.appId, the courier's
 * partner id) and must name the one configured here. A valid signature is not
 * enough: a secret issued to two apps, or reused across environments, must not
 * let one's pushes pass as the other's. Checked after the signature and before
 * the nonce is claimed, so a refused push leaves nothing behind.
 */
export function assertWebhookSender(system: string, claimed: string | undefined, expected: string): void {
  if (claimed !== expected) throw new WebhookRejectedError('UNKNOWN_SENDER', `${system}推送校验失败：发送方标识不是本应用`);
}
