import { UnrecoverableError, type Job } from 'bullmq';
import type { NotificationPort, SentReceipt } from '../adapters/notify/notify.port.js';
import { PlatformRejectedError } from '../adapters/platform.errors.js';
import { DomainError, InputError, NotFoundError } from '../domain/errors.js';
import type { CaseRecord } from '../ledger/cases/case.model.js';
import type { NotificationJob, Recipient } from '../ledger/workflow/ports.js';

const ACTOR = 'system:notifications';

/**
 * Sends one message; a gateway that is down is retried with backoff, a message it
 * refuses is not. The case contact's phone is read from the ledger at each attempt.
 * A message that meets a case deadline is recorded on the case once the gateway
 * has accepted it; a retry after a lost recording resends under the same key, so
 * the gateway sends nothing twice and answers the first acceptance.
 */
export function notificationProcessor(deps: {
  notify: NotificationPort;
  workflow: {
    get(businessNo: string): Promise<CaseRecord>;
    recordApplicantNotified(businessNo: string, receipt: SentReceipt, actor: string): Promise<CaseRecord>;
  };
}) {
  const address = async (recipient: Recipient): Promise<string> =>
    recipient.kind === 'ADDRESS' ? recipient.address : (await deps.workflow.get(recipient.businessNo)).contact.phone;

  return async (job: Pick<Job<NotificationJob>, 'data'>): Promise<SentReceipt> => {
    const { recipient, meets, ...message } = job.data;
    let receipt: SentReceipt;
    try {
      receipt = await deps.notify.send({ ...message, to: await address(recipient) });
    } catch (error) {
      if (error instanceof PlatformRejectedError || error instanceof InputError || error instanceof NotFoundError) {
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      throw error;
    }
    if (meets === 'APPLICANT_PICKUP_NOTICE' && recipient.kind === 'CASE_CONTACT') {
      await deps.workflow.recordApplicantNotified(recipient.businessNo, receipt, ACTOR).catch((error: unknown) => {
        if (error instanceof DomainError && error.code !== 'CASE.CONFLICT') throw new UnrecoverableError(`${error.code}: ${error.message}`);
        throw error;
      });
    }
    return receipt;
  };
}
