/**
 * The 渝快办 sandbox's webhooks: one event per stage change, delivered in stage order per case
 * with retries, each attempt signed afresh and logged.
 */
import { createPushDeliveries, delivered, errorText, type PushRetries } from '../sandbox-push.kit.js';
import type { SandboxRuntime } from '../sandbox.kit.js';
import type { YkbCase, YkbStageCode, YkbWebhook } from './yukuaiban.wire.js';
import { signedWebhookHeaders } from './yukuaiban-sandbox.signing.js';

export interface WebhookDelivery {
  eventId: string;
  platformCaseId: string;
  stage: YkbStageCode;
  attempt: number;
  at: string;
  outcome: 'DELIVERED' | 'FAILED' | 'GAVE_UP';
  status?: number;
  error?: string;
}

export interface YukuaibanWebhookOptions {
  webhookUrl?: string;
  /** Path the pushes are signed with; the URL's path and query when absent. */
  webhookPath?: string;
  appKey: string;
  appSecret: string;
  instance: string;
  now: () => number;
  retries: PushRetries;
}

export function createYukuaibanWebhooks(opts: YukuaibanWebhookOptions, rt: Pick<SandboxRuntime, 'isClosed' | 'pause'>) {
  const { now } = opts;
  const deliveries = createPushDeliveries(rt, opts.retries);
  const target = opts.webhookUrl ? new URL(opts.webhookUrl) : null;
  const signPath = opts.webhookPath ?? (target ? `${target.pathname}${target.search}` : '');
  const log: WebhookDelivery[] = [];
  let eventSeq = 0;

  /** Each attempt is signed afresh: a receiver that already claimed the first nonce must still accept the retry. */
  async function deliver(url: string, event: YkbWebhook): Promise<void> {
    const body = JSON.stringify(event);
    const entry = (attempt: number, outcome: WebhookDelivery['outcome'], extra: Partial<WebhookDelivery> = {}) =>
      log.push({ eventId: event.tsbh, platformCaseId: event.bjbh, stage: event.zt, attempt, at: new Date(now()).toISOString(), outcome, ...extra });
    const result = await deliveries.withRetries(async (attempt) => {
      try {
        const status = await deliveries.post(url, body, signedWebhookHeaders({ ...opts, signPath, now: now() }, body));
        entry(attempt, delivered(status) ? 'DELIVERED' : 'FAILED', { status });
        return delivered(status);
      } catch (error) {
        if (!rt.isClosed()) entry(attempt, 'FAILED', { error: errorText(error) });
        return false;
      }
    });
    if (result === 'GAVE_UP') entry(opts.retries.attempts, 'GAVE_UP');
  }

  return {
    /** Queues the event of a case's stage change, or of its certificate's revocation. */
    push(record: YkbCase, revocation?: YkbWebhook['zzzx']): void {
      if (!opts.webhookUrl) return;
      eventSeq += 1;
      const event: YkbWebhook = {
        tsbh: `YKBE${opts.instance}${String(eventSeq).padStart(8, '0')}`,
        bjbh: record.bjbh,
        ywbh: record.ywbh,
        sxbm: record.sxbm,
        zt: record.zt,
        jdjg: record.jdjg,
        byslyy: [...record.byslyy],
        bgsj: revocation?.zxsj ?? record.gxsj,
        ...(revocation ? { zzzx: revocation } : {}),
      };
      void deliveries.enqueue(record.bjbh, () => deliver(opts.webhookUrl!, event));
    },
    log: () => log.map((entry) => ({ ...entry })),
    settled: deliveries.settled,
    close: deliveries.close,
  };
}
