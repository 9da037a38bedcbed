import { UnrecoverableError, type Job } from 'bullmq';
import type { NotificationPort, SentReceipt } from '../adapters/notify/notify.port.js';
import { PlatformRejectedError } from '../adapters/platform.errors.js';
import { InputError, NotFoundError } from '../domain/errors.js';
import type { CaseRecord } from '../subgraphs/cases/case.model.js';
import type { NotificationJob, Recipient } from './notifications.queue.js';

/**
 * Sends one message; a gateway that is down is retried with backoff, a message it
 * refuses is not. The case contact's phone is read from the ledger at each attempt.
 */
export function notificationProcessor(deps: { notify: NotificationPort; workflow: { get(businessNo: string): Promise<CaseRecord> } }) {
  const address = async (recipient: Recipient): Promise<string> =>
    recipient.kind === 'ADDRESS' ? recipient.address : (await deps.workflow.get(recipient.businessNo)).contact.phone;

  return async (job: Pick<Job<NotificationJob>, 'data'>): Promise<SentReceipt> => {
    const { recipient, ...message } = job.data;
    try {
      return await deps.notify.send({ ...message, to: await address(recipient) });
    } catch (error) {
      if (error instanceof PlatformRejectedError || error instanceof InputError || error instanceof NotFoundError) {
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      throw error;
    }
  };
}
