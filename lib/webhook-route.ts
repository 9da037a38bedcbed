import { WebhookRejectedError, type WebhookRejection } from '../adapters/platform.errors.js';
import type { InboundWebhook } from '../adapters/platform.port.js';
import { json, type Route } from './http-server.js';
import type { Logger } from './logger.js';

const STATUS: Record<WebhookRejection, number> = { MALFORMED: 400, BAD_SIGNATURE: 401, STALE_TIMESTAMP: 401, UNKNOWN_SENDER: 401, REPLAYED: 409 };

/**
 * An inbound push: verified first (signature, sender identity, time window, nonce), and only a
 * verified event is handed on. A refused push is logged and answered with its
 * reason code, never with anything of what it carried.
 */
export function webhookRoute<E>(options: {
  path: string;
  source: string;
  verify: (webhook: InboundWebhook) => Promise<E>;
  accept: (event: E) => Promise<void>;
  logger: Logger;
}): Route {
  return {
    method: 'POST',
    path: options.path,
    handler: async (request) => {
      let event: E;
      try {
        event = await options.verify({ headers: request.headers, rawBody: request.rawBody });
      } catch (error) {
        if (!(error instanceof WebhookRejectedError)) throw error;
        options.logger.warn({ source: options.source, code: error.code, requestId: request.requestId }, 'webhook refused');
        return json(STATUS[error.reason], { code: error.code, message: error.message });
      }
      await options.accept(event);
      return json(200, { code: 'OK' });
    },
  };
}
