import { UnrecoverableError, type Job } from 'bullmq';
import type { NotificationPort, OutboundMessage, SentReceipt } from '../adapters/notify/notify.port.js';
import { PlatformRejectedError } from '../adapters/platform.errors.js';
import { InputError } from '../domain/errors.js';

/** Sends one message; a gateway that is down is retried with backoff, a message it refuses is not. */
export function notificationProcessor(deps: { notify: NotificationPort }) {
  return async (job: Job<OutboundMessage>): Promise<SentReceipt> => {
    try {
      return await deps.notify.send(job.data);
    } catch (error) {
      if (error instanceof PlatformRejectedError || error instanceof InputError) {
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      throw error;
    }
  };
}
