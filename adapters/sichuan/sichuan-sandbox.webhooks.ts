/**
 * The 四川 sandbox's webhooks: each stage change pushed, a case's pushes in order, each
 * attempt a new signed request; one record per event says how it went.
 */
import { createPushDeliveries, delivered, errorText } from '../sandbox-push.kit.js';
import type { SandboxRuntime } from '../sandbox.kit.js';
import type { CaseStatus, WireCaseEvent } from './sichuan.contract.js';

export interface WebhookDelivery {
  eventId: string;
  caseId: string;
  status: CaseStatus;
  attempts: number;
  delivered: boolean;
  /** True once the sandbox stopped trying without a 2xx. */
  gaveUp: boolean;
  lastError?: string;
}

const RETRIES = { attempts: 3, retryDelayMs: 200, timeoutMs: 5000 };

export function createSichuanWebhooks(
  opts: { webhookUrl?: string; signedWebhook(event: WireCaseEvent): string },
  rt: Pick<SandboxRuntime, 'isClosed' | 'pause'>,
) {
  const deliveries = createPushDeliveries(rt, RETRIES);
  const log: WebhookDelivery[] = [];

  async function deliver(webhookUrl: string, event: WireCaseEvent): Promise<void> {
    const record: WebhookDelivery = { eventId: event.eventId, caseId: event.caseId, status: event.status, attempts: 0, delivered: false, gaveUp: false };
    log.push(record);
    const result = await deliveries.withRetries(async (attempt) => {
      record.attempts = attempt;
      try {
        const status = await deliveries.post(webhookUrl, opts.signedWebhook(event));
        record.delivered = delivered(status);
        if (!record.delivered) record.lastError = `HTTP ${status}`;
      } catch (error) {
        record.lastError = errorText(error);
      }
      return record.delivered;
    });
    if (result !== 'DELIVERED') record.gaveUp = true;
  }

  return {
    /** Pushes of one case go out in order, each after the previous one settled. */
    push(event: WireCaseEvent): Promise<void> {
      const webhookUrl = opts.webhookUrl;
      if (!webhookUrl) return Promise.resolve();
      return deliveries.enqueue(event.caseId, () => deliver(webhookUrl, event));
    },
    deliveries: () => log.map((record) => ({ ...record })),
    close: deliveries.close,
  };
}
