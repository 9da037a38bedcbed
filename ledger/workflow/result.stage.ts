import { stageDeadline } from '../../domain/clock/index.js';
import { InputError } from '../../domain/errors.js';
import { assertTransition } from '../../domain/workflow/case-stages.js';
import { assertChosenDelivery } from '../../domain/workflow/result-delivery.js';
import type { CaseRecord, ResultDelivery } from '../cases/case.model.js';
import type { CaseTransitions } from './case-transition.js';
import { pickupNoticeMessage } from './pickup-notice.js';

/** 制证送达 to 领取: the result travels back the way the applicant chose, and the applicant is told. */
export class ResultStage {
  constructor(private readonly t: CaseTransitions) {}

  /** 制证送达: the result leaves the jurisdiction; the clock stops and the 1-WD feedback deadline starts. */
  recordResultDispatched(businessNo: string, delivery: { method: ResultDelivery; waybillNo?: string | null }, actor: string) {
    return this.t.apply(businessNo, 'DISPATCH_RESULT', actor, (record, now) => {
      assertChosenDelivery(record, delivery.method);
      return {
        record: {
          ...record,
          stage: 'RESULT_DISPATCHED',
          clock: record.clock.phase === 'STOPPED' ? record.clock : this.t.clock(record, 'STOP', now),
          result: {
            method: delivery.method,
            dispatchedAt: now,
            waybillNo: delivery.waybillNo ?? null,
            feedbackDueAt: stageDeadline('RECEIVING_WINDOW_FEEDBACK', now, this.t.deps.calendar).dueAt,
            feedbackGivenAt: null,
            arrivedAtWindowAt: null,
            pickupNoticeDueAt: null,
            pickupNoticeQueuedAt: null,
            applicantNotifiedAt: null,
            deliveredAt: null,
          },
        },
        type: 'RESULT_DISPATCHED',
        data: { method: delivery.method, waybillNo: delivery.waybillNo ?? null },
      };
    });
  }

  /** The result reached the receiving window for pickup: the 1-WD notice deadline starts. */
  recordResultAtWindow(businessNo: string, actor: string): Promise<CaseRecord> {
    return this.t.apply(businessNo, 'RESULT_AT_WINDOW', actor, (record, now) => {
      if (record.result?.method !== 'PICKUP') {
        throw new InputError('CASE.NOT_FOR_PICKUP', '申请人选择邮寄送达，结果不在收件窗口领取');
      }
      // A result recorded for pickup before the choice was checked at dispatch.
      assertChosenDelivery(record, 'PICKUP');
      return {
        record: {
          ...record,
          stage: 'AWAITING_PICKUP',
          result: {
            ...record.result,
            arrivedAtWindowAt: now,
            pickupNoticeDueAt: stageDeadline('APPLICANT_PICKUP_NOTICE', now, this.t.deps.calendar).dueAt,
          },
        },
        type: 'RESULT_AT_RECEIVING_WINDOW',
        data: {},
      };
    });
  }

  /**
   * 通知领取: commits the SMS to the applicant with the case's own write (the
   * notifications outbox). The notice deadline is met only when the gateway has
   * accepted the message (`recordApplicantNotified`); asking again changes nothing.
   */
  async notifyApplicantForPickup(businessNo: string, actor: string): Promise<CaseRecord> {
    const current = await this.t.get(businessNo);
    assertTransition(current.stage, 'NOTIFY_PICKUP');
    const [window] = await this.t.deps.windows.getMany([current.receivingWindowId]);
    const message = pickupNoticeMessage(current, window?.name ?? current.receivingWindowId, this.t.deps.verifyBaseUrl);
    const updated = await this.t.apply(businessNo, 'NOTIFY_PICKUP', actor, (record, now) => {
      if (record.result?.pickupNoticeQueuedAt || record.result?.applicantNotifiedAt) return null;
      return {
        record: { ...record, result: { ...record.result!, pickupNoticeQueuedAt: now } },
        type: 'APPLICANT_PICKUP_NOTICE_QUEUED',
        data: { template: message.template, idempotencyKey: message.idempotencyKey },
        outbox: [this.t.deps.notifications.intent(message, now, businessNo)],
      };
    }, undefined, current);
    if (!updated.result?.applicantNotifiedAt) await this.t.deps.notifications.enqueue(message, businessNo).catch(() => undefined);
    return updated;
  }

  /** The notify gateway accepted the pickup SMS at `acceptedAt` (its clock, bounded to ours): the applicant is told. */
  recordApplicantNotified(businessNo: string, receipt: { messageId: string; acceptedAt: string }, actor: string): Promise<CaseRecord> {
    return this.t.apply(businessNo, 'PICKUP_NOTICE_SENT', actor, (record, now) => {
      if (!record.result || record.result.applicantNotifiedAt) return null;
      const at = this.t.outsideInstant('notify', receipt.acceptedAt, record, now, record.result.pickupNoticeQueuedAt);
      return {
        record: { ...record, result: { ...record.result, applicantNotifiedAt: at } },
        type: 'APPLICANT_NOTIFIED_FOR_PICKUP',
        data: { messageId: receipt.messageId, notifyAt: receipt.acceptedAt },
      };
    });
  }

  /** 反馈收件地窗口: the jurisdiction has told the receiving window the result is on its way; recorded once. */
  recordReceivingWindowFeedback(businessNo: string, actor: string): Promise<CaseRecord> {
    return this.t.apply(businessNo, 'GIVE_FEEDBACK', actor, (record, now) => {
      if (!record.result || record.result.feedbackGivenAt) return null;
      return {
        record: { ...record, result: { ...record.result, feedbackGivenAt: now } },
        type: 'RECEIVING_WINDOW_FEEDBACK_GIVEN',
        data: {},
      };
    });
  }

  recordDelivered(businessNo: string, actor: string): Promise<CaseRecord> {
    return this.t.apply(businessNo, 'DELIVER', actor, (record, now) => ({
      record: { ...record, stage: 'DELIVERED', result: { ...record.result!, deliveredAt: now } },
      type: 'RESULT_DELIVERED',
      data: {},
    }));
  }
}
