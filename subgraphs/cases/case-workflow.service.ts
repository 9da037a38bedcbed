import { createHash } from 'node:crypto';
import type { CatalogItem, PlatformEvent, PlatformPort, PlatformStage } from '../../adapters/platform.port.js';
import { shanghaiDateOf, type WorkingCalendar } from '../../domain/calendar/index.js';
import { applyClockEvent, NEW_CLOCK, stageDeadline, type ClockEventType } from '../../domain/clock/index.js';
import { DomainError, InputError, NotFoundError } from '../../domain/errors.js';
import { closureAt, describeClosure } from '../../domain/hours/index.js';
import { validatePhone, validatePostcode, validateResidentId, validateUscc } from '../../domain/identifiers/index.js';
import { regionOfDivision, regionOfItemCode, type Region } from '../../domain/region.js';
import { formatBusinessNo } from '../../domain/workflow/business-number.js';
import { assertTransition, canApply, type CaseAction } from '../../domain/workflow/case-stages.js';
import { assertChosenDelivery } from '../../domain/workflow/result-delivery.js';
import { reviewMaterials, type HandedInMaterial } from '../../domain/workflow/formal-review.js';
import { deriveScope } from '../../domain/workflow/scope.js';
import type { NotificationJob } from '../../jobs/notifications.queue.js';
import type { WindowRecord } from '../windows/window.model.js';
import type { Address, CaseEvent, CaseRecord, ResultDelivery, TransferChannel } from './case.model.js';
import type { CaseStore, OutboxEntry, RecordedSubmission, SubmissionRequest } from './case.store.js';
import type { TimetableWrites } from './case.store.js';
import { assertApplicable } from './item-availability.js';
import { pickupNoticeMessage } from './pickup-notice.js';

/** Read access to the window directory, which the windows subgraph keeps current. */
export interface WindowDirectory {
  getMany(ids: readonly string[]): Promise<(WindowRecord | null)[]>;
  list(filter: { region?: Region; divisionCode?: string }): Promise<WindowRecord[]>;
}

/**
 * Hands a dispatched case to the material-transfer worker. The intent is part
 * of the dispatch's own write (an outbox entry), so a dispatch is never stored
 * without its job; `enqueue` then queues it at once, and should that fail or
 * never run, the workers' sweep drains the outbox into the queue.
 */
export interface TransferQueue {
  intent(businessNo: string, channel: TransferChannel, at: string): OutboxEntry;
  enqueue(businessNo: string, channel: TransferChannel): Promise<void>;
}

/** Like TransferQueue, for the messages a change commits to (jobs/notifications.queue.ts). */
export interface NotificationOutbox {
  intent(message: NotificationJob, at: string): OutboxEntry;
  enqueue(message: NotificationJob): Promise<void>;
}

/** A time reported by a platform, the courier or the notify gateway that fell outside what can be true, and the time used instead. */
export interface OutsideTimeReport {
  source: 'platform' | 'courier' | 'notify';
  businessNo: string;
  reported: string;
  used: string;
}

/** Keeps a case's deadline alerts scheduled as its state requires (jobs/deadline-alerts.queue.ts), in the write of each change. */
export interface AlertScheduler {
  changes(previous: CaseRecord | null, next: CaseRecord): TimetableWrites;
}

export interface ReceiveApplicationInput {
  /**
   * Client-chosen key, at most 128 printable ASCII characters: the same key with the
   * same input from the same window and caller returns the case the first call created.
   */
  requestKey?: string | null;
  windowId: string;
  jurisdictionWindowId?: string | null;
  itemCode: string;
  applicant: { kind: 'PERSON' | 'ORGANISATION'; name: string; idNumber: string };
  contact: { name: string; phone: string };
  delivery: { method: ResultDelivery; address?: Address | null };
  materials: HandedInMaterial[];
  handler: string;
}

export interface ReceiptResult {
  record: CaseRecord;
  noticeId: string;
}

const MAX_MATERIALS = 50;
const MAX_TEXT = 100;
const MAX_ATTEMPTS = 5;
const REQUEST_KEY = /^[\x21-\x7e]{1,128}$/;

/** Platform stages in the order they happen, so a late push never moves a case backwards. */
const PLATFORM_ORDER: Record<PlatformStage, number> = {
  SUBMITTED: 0,
  ACCEPTED: 1,
  REVIEWING: 2,
  DECIDED: 3,
  REJECTED: 3,
  CERTIFICATE_MADE: 4,
  SEALED: 5,
  ISSUED: 6,
};

export class CaseWorkflow {
  constructor(
    private readonly deps: {
      store: CaseStore;
      windows: WindowDirectory;
      platforms: Record<Region, PlatformPort>;
      calendar: WorkingCalendar;
      transfers: TransferQueue;
      notifications: NotificationOutbox;
      alerts: AlertScheduler;
      now: () => Date;
      /** Told of every outside time that had to be bounded: the workers log and count them. */
      onOutsideTime?: (report: OutsideTimeReport) => void;
    },
  ) {}

  /**
   * 收件审查 (seed 000 二(一)): checks identity, window and item, reviews every
   * material against the owning platform's list, and records either a received
   * case (收件通知书, clock started) or a deficient one (一次性告知书).
   */
  async receiveApplication(input: ReceiveApplicationInput, actor: string): Promise<ReceiptResult> {
    const now = this.deps.now().toISOString();
    const applicant = validateApplicant(input.applicant, now);
    const contact = { name: requireText(input.contact.name, '联系人'), phone: validatePhone(input.contact.phone) };
    const delivery = validateDelivery(input.delivery);
    const handler = requireText(input.handler, '经办人');
    const materials = validateMaterials(input.materials);
    const request = submissionRequest(input, actor, { applicant, contact, delivery, handler, materials });
    if (request) {
      // Before anything is allocated: a retry takes no business number, so the day's numbers stay without gaps.
      const recorded = await this.deps.store.findSubmission(request);
      if (recorded) return this.replayed(request, recorded);
    }

    const window = await this.window(input.windowId);
    if (!window.active || !window.roles.includes('RECEIVING')) {
      throw new DomainError('WINDOW.NOT_RECEIVING', `${window.name}不是在用的通办收件窗口`);
    }
    const closure = closureAt(window.hours, now, this.deps.calendar);
    if (closure) throw new DomainError('WINDOW.CLOSED', `${window.name}现不办理收件：${describeClosure(closure, shanghaiDateOf(now))}`);
    const item = assertApplicable(await this.item(input.itemCode));
    const scope = deriveScope(window.divisionCode, item.divisionCode, item.scopes);
    const jurisdiction = await this.jurisdictionWindow(item, input.jurisdictionWindowId);

    const review = reviewMaterials(item.materials, materials);
    const sequence = await this.deps.store.nextSequence(window.divisionCode, shanghaiDateOf(now));
    const businessNo = formatBusinessNo(shanghaiDateOf(now), window.divisionCode, sequence);
    const record: CaseRecord = {
      version: 1,
      businessNo,
      scope,
      stage: review.complete ? 'RECEIVED' : 'DEFICIENT',
      itemCode: item.code,
      jurisdictionRegion: item.region,
      item: {
        name: item.name,
        legalName: item.legalName,
        department: item.department,
        legalLimitDays: item.legalLimitDays,
        promisedLimitDays: item.promisedLimitDays,
        sampleData: item.sampleData,
        powerType: item.powerType,
      },
      applicant,
      contact,
      delivery,
      receivingWindowId: window.id,
      jurisdictionWindowId: jurisdiction.id,
      receivingDivisionCode: window.divisionCode,
      handler,
      materials: review.materials,
      appliedAt: now,
      acceptedAt: review.complete ? now : null,
      correction: review.complete ? null : this.correctionDeadline(now),
      transfer: null,
      platformCaseId: null,
      platformStage: null,
      decision: null,
      refusalReasons: [],
      result: null,
      clock: review.complete ? applyClockEvent(NEW_CLOCK, { type: 'START', at: now }) : NEW_CLOCK,
      notices: [{ id: 'N1', kind: review.complete ? 'RECEIPT' : 'DEFICIENCY', issuedAt: now, materials: review.materials }],
      evaluation: null,
      updatedAt: now,
    };
    const event = this.event(review.complete ? 'RECEIVED' : 'DEFICIENCY_NOTICE_ISSUED', now, actor, {
      windowId: window.id,
      itemCode: item.code,
      verdicts: review.materials.map((m) => [m.name, m.verdict]),
    });
    const written = await this.deps.store.create(record, event, request ?? undefined, this.deps.alerts.changes(null, record));
    if (written.status === 'DUPLICATE') return this.replayed(request!, written);
    if (written.status !== 'WRITTEN') throw new DomainError('CASE.CONFLICT', `业务编号 ${businessNo} 已被占用，请重试`);
    return { record, noticeId: 'N1' };
  }

  /** A request key seen before: the same application gets its case back; a different one under the same key is refused. */
  private async replayed(request: SubmissionRequest, recorded: RecordedSubmission): Promise<ReceiptResult> {
    if (recorded.inputDigest !== request.inputDigest) {
      throw new DomainError('CASE.REQUEST_KEY_REUSED', '该请求标识已用于另一份申请，请为新的申请使用新的请求标识');
    }
    const existing = await this.deps.store.get(recorded.businessNo);
    if (!existing) throw new NotFoundError('CASE.NOT_FOUND', `办件 ${recorded.businessNo} 不存在`);
    return { record: existing, noticeId: existing.notices.at(-1)!.id };
  }

  /** 补齐补正: continues a deficient application; past the correction deadline it is abandoned (视为放弃). */
  async resubmitCorrections(businessNo: string, handedIn: HandedInMaterial[], actor: string): Promise<ReceiptResult> {
    const materials = validateMaterials(handedIn);
    const current = await this.get(businessNo);
    assertTransition(current.stage, 'CORRECTED');
    const now = this.deps.now().toISOString();
    if (Date.parse(now) > Date.parse(current.correction!.dueAt)) {
      await this.abandon(businessNo, actor);
      throw new DomainError('CASE.CORRECTION_DEADLINE_PASSED', `补正期限 ${current.correction!.deadline} 已过，视为申请人放弃本次申请`);
    }
    const item = await this.item(current.itemCode);
    const byName = new Map<string, HandedInMaterial>();
    for (const material of current.materials) if (material.verdict === 'QUALIFIED') byName.set(material.name, material);
    for (const material of materials) byName.set(material.name, material);
    const review = reviewMaterials(item.materials, [...byName.values()]);

    const updated = await this.transition(businessNo, review.complete ? 'CORRECTED' : 'STILL_DEFICIENT', actor, (record) => {
      const noticeId = `N${record.notices.length + 1}`;
      return {
        record: {
          ...record,
          stage: review.complete ? 'RECEIVED' : 'DEFICIENT',
          materials: review.materials,
          acceptedAt: review.complete ? now : null,
          clock: review.complete ? applyClockEvent(record.clock, { type: 'START', at: now }) : record.clock,
          notices: [
            ...record.notices,
            { id: noticeId, kind: review.complete ? 'RECEIPT' : 'DEFICIENCY', issuedAt: now, materials: review.materials },
          ],
        },
        type: review.complete ? 'RECEIVED' : 'DEFICIENCY_NOTICE_ISSUED',
        data: { verdicts: review.materials.map((m) => [m.name, m.verdict]) },
      };
    });
    return { record: updated, noticeId: updated.notices.at(-1)!.id };
  }

  /** The correction deadline passed without corrections: the application is treated as abandoned. */
  abandon(businessNo: string, actor: string): Promise<CaseRecord> {
    return this.transition(businessNo, 'ABANDON', actor, (record) => ({
      record: { ...record, stage: 'ABANDONED' },
      type: 'ABANDONED',
      data: { correctionDeadline: record.correction?.deadline },
    }));
  }

  /**
   * 材料流转: the clock pauses while the materials travel; the transfer job forwards the case.
   * A retry of a dispatch that landed (its answer lost to a timeout) answers the dispatched case.
   */
  async dispatchMaterials(businessNo: string, channel: TransferChannel, actor: string): Promise<CaseRecord> {
    const updated = await this.transition(businessNo, 'DISPATCH', actor, (record, now) => {
      if (record.transfer) return null;
      const acceptedAt = record.acceptedAt ?? now;
      const online = channel !== 'OFFLINE';
      const paper = channel !== 'ONLINE';
      return {
        record: {
          ...record,
          stage: 'IN_TRANSFER',
          clock: this.clock(record, 'PAUSE', now),
          transfer: {
            channel,
            dispatchedAt: now,
            onlineDueAt: online ? stageDeadline('ONLINE_TRANSFER', acceptedAt, this.deps.calendar).dueAt : null,
            paperDueAt: paper ? stageDeadline('PAPER_MAIL', acceptedAt, this.deps.calendar).dueAt : null,
            forwardedAt: null,
            paperSentAt: null,
            receivedAt: null,
          },
        },
        type: 'MATERIALS_DISPATCHED',
        data: { channel },
        outbox: [this.deps.transfers.intent(businessNo, channel, now)],
      };
    }, (record) => record.transfer?.channel === channel);
    if (updated.stage === 'IN_TRANSFER' && !updated.platformCaseId) {
      // The outbox has the job already; queueing it now only saves the sweep's delay, so a failure here is no failure of the dispatch.
      await this.deps.transfers.enqueue(businessNo, channel).catch(() => undefined);
    }
    return updated;
  }

  /** The paper left the receiving window: the courier collected the waybill (揽收). */
  recordPaperSent(businessNo: string, at: string, actor: string): Promise<CaseRecord> {
    return this.transition(businessNo, 'PLATFORM_PROGRESS', actor, (record, now) => {
      if (!record.transfer || record.transfer.paperSentAt) return null;
      const sentAt = this.outsideInstant('courier', at, record, now);
      return {
        record: { ...record, transfer: { ...record.transfer, paperSentAt: sentAt } },
        type: 'PAPER_COLLECTED',
        data: { at: sentAt, courierAt: at },
      };
    });
  }

  /**
   * Records the platform's case id once the transfer job has forwarded the case.
   * `read` is the case as the job read it before forwarding: tried first, so that
   * the common case costs no second read, while a stale one only costs a retry.
   */
  recordForwarded(businessNo: string, platformCaseId: string, actor: string, read?: CaseRecord): Promise<CaseRecord> {
    return this.transition(businessNo, 'PLATFORM_PROGRESS', actor, (record, now) => {
      if (record.platformCaseId === platformCaseId && record.transfer?.forwardedAt) return null;
      return {
        record: {
          ...record,
          platformCaseId,
          platformStage: record.platformStage ?? 'SUBMITTED',
          transfer: record.transfer && { ...record.transfer, forwardedAt: record.transfer.forwardedAt ?? now },
        },
        type: 'FORWARDED_TO_PLATFORM',
        data: { platformCaseId, region: record.jurisdictionRegion },
      };
    }, undefined, read);
  }

  /**
   * The jurisdiction window has the materials: the clock resumes (属地窗口收到材料后恢复计时).
   * `courierAt` is the courier's time of the 签收, when that is how we learn it. Confirming
   * materials already recorded as received (the platform accepted the electronic record
   * first) changes nothing, in whatever stage the case has reached since.
   */
  confirmMaterialsReceived(businessNo: string, actor: string, courierAt?: string): Promise<CaseRecord> {
    return this.transition(
      businessNo,
      'MATERIALS_RECEIVED',
      actor,
      (record, now) => {
        if (record.transfer?.receivedAt) return null;
        const at = courierAt === undefined ? now : this.outsideInstant('courier', courierAt, record, now);
        const received = this.receivedAtJurisdiction(record, at);
        return courierAt === undefined ? received : { ...received, data: { courierAt } };
      },
      (record) => Boolean(record.transfer?.receivedAt),
    );
  }

  /**
   * A status change from the owning platform, pushed or polled. Applying the same
   * change twice, or an older one after a newer, changes nothing.
   */
  async applyPlatformEvent(event: PlatformEvent, actor: string): Promise<CaseRecord | null> {
    const current = await this.deps.store.get(event.businessNo);
    if (!current) throw new NotFoundError('CASE.NOT_FOUND', `办件 ${event.businessNo} 不存在`);
    if (current.platformCaseId && current.platformCaseId !== event.platformCaseId) {
      throw new InputError('PLATFORM.CASE_MISMATCH', `平台办件号 ${event.platformCaseId} 与办件 ${event.businessNo} 不符`);
    }
    if (current.platformStage && PLATFORM_ORDER[event.stage] <= PLATFORM_ORDER[current.platformStage]) return current;

    const action: CaseAction =
      event.stage === 'REJECTED' ? 'REFUSE' : event.stage === 'DECIDED' ? 'DECIDE' : 'PLATFORM_PROGRESS';
    return this.transition(event.businessNo, action, actor, (record, now) => {
      const at = this.outsideInstant('platform', event.at, record, now);
      let next: CaseRecord = { ...record, platformCaseId: event.platformCaseId, platformStage: event.stage };
      if (next.stage === 'IN_TRANSFER' && this.platformProvesReceipt(next, event.stage)) next = this.receivedAtJurisdiction(next, at).record;
      if (event.stage === 'DECIDED') next = { ...next, stage: 'DECIDED', decision: event.decision };
      if (event.stage === 'REJECTED') {
        next = { ...next, stage: 'REFUSED', refusalReasons: event.reasons, clock: this.clock(next, 'STOP', at) };
      }
      return {
        record: next,
        type: `PLATFORM_${event.stage}`,
        data: { eventId: event.eventId, platformAt: event.at, decision: event.decision, reasons: event.reasons, receivedAt: now },
      };
    }, action === 'PLATFORM_PROGRESS' ? undefined : () => canApply(current.stage, 'MATERIALS_RECEIVED'));
  }

  /** 制证送达: the result leaves the jurisdiction; the clock stops and the 1-WD feedback deadline starts. */
  recordResultDispatched(businessNo: string, delivery: { method: ResultDelivery; waybillNo?: string | null }, actor: string) {
    return this.transition(businessNo, 'DISPATCH_RESULT', actor, (record, now) => {
      assertChosenDelivery(record, delivery.method);
      return {
        record: {
          ...record,
          stage: 'RESULT_DISPATCHED',
          clock: record.clock.phase === 'STOPPED' ? record.clock : this.clock(record, 'STOP', now),
          result: {
            method: delivery.method,
            dispatchedAt: now,
            waybillNo: delivery.waybillNo ?? null,
            feedbackDueAt: stageDeadline('RECEIVING_WINDOW_FEEDBACK', now, this.deps.calendar).dueAt,
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
    return this.transition(businessNo, 'RESULT_AT_WINDOW', actor, (record, now) => {
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
            pickupNoticeDueAt: stageDeadline('APPLICANT_PICKUP_NOTICE', now, this.deps.calendar).dueAt,
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
    const current = await this.get(businessNo);
    assertTransition(current.stage, 'NOTIFY_PICKUP');
    const [window] = await this.deps.windows.getMany([current.receivingWindowId]);
    const message = pickupNoticeMessage(current, window?.name ?? current.receivingWindowId);
    const updated = await this.transition(businessNo, 'NOTIFY_PICKUP', actor, (record, now) => {
      if (record.result?.pickupNoticeQueuedAt || record.result?.applicantNotifiedAt) return null;
      return {
        record: { ...record, result: { ...record.result!, pickupNoticeQueuedAt: now } },
        type: 'APPLICANT_PICKUP_NOTICE_QUEUED',
        data: { template: message.template, idempotencyKey: message.idempotencyKey },
        outbox: [this.deps.notifications.intent(message, now)],
      };
    }, undefined, current);
    if (!updated.result?.applicantNotifiedAt) await this.deps.notifications.enqueue(message).catch(() => undefined);
    return updated;
  }

  /** The notify gateway accepted the pickup SMS at `acceptedAt` (its clock, bounded to ours): the applicant is told. */
  recordApplicantNotified(businessNo: string, receipt: { messageId: string; acceptedAt: string }, actor: string): Promise<CaseRecord> {
    return this.transition(businessNo, 'PICKUP_NOTICE_SENT', actor, (record, now) => {
      if (!record.result || record.result.applicantNotifiedAt) return null;
      const at = this.outsideInstant('notify', receipt.acceptedAt, record, now, record.result.pickupNoticeQueuedAt);
      return {
        record: { ...record, result: { ...record.result, applicantNotifiedAt: at } },
        type: 'APPLICANT_NOTIFIED_FOR_PICKUP',
        data: { messageId: receipt.messageId, notifyAt: receipt.acceptedAt },
      };
    });
  }

  /** 反馈收件地窗口: the jurisdiction has told the receiving window the result is on its way; recorded once. */
  recordReceivingWindowFeedback(businessNo: string, actor: string): Promise<CaseRecord> {
    return this.transition(businessNo, 'GIVE_FEEDBACK', actor, (record, now) => {
      if (!record.result || record.result.feedbackGivenAt) return null;
      return {
        record: { ...record, result: { ...record.result, feedbackGivenAt: now } },
        type: 'RECEIVING_WINDOW_FEEDBACK_GIVEN',
        data: {},
      };
    });
  }

  recordDelivered(businessNo: string, actor: string): Promise<CaseRecord> {
    return this.transition(businessNo, 'DELIVER', actor, (record, now) => ({
      record: { ...record, stage: 'DELIVERED', result: { ...record.result!, deliveredAt: now } },
      type: 'RESULT_DELIVERED',
      data: {},
    }));
  }

  /** 好差评: once per case, 1 (非常不满意) to 5 (非常满意). */
  evaluate(businessNo: string, score: number, comment: string | null | undefined, actor: string): Promise<CaseRecord> {
    if (!Number.isInteger(score) || score < 1 || score > 5) {
      throw new InputError('INPUT.INVALID_SCORE', '评价分值应为 1 至 5 的整数');
    }
    const text = comment?.trim() || null;
    if (text && text.length > 500) throw new InputError('INPUT.COMMENT_TOO_LONG', '评价内容不能超过 500 字');
    return this.transition(businessNo, 'EVALUATE', actor, (record, now) => {
      if (record.evaluation) throw new DomainError('CASE.ALREADY_EVALUATED', '该办件已评价');
      return { record: { ...record, evaluation: { score, comment: text, at: now } }, type: 'EVALUATED', data: { score } };
    });
  }

  async get(businessNo: string): Promise<CaseRecord> {
    const record = await this.deps.store.get(businessNo);
    if (!record) throw new NotFoundError('CASE.NOT_FOUND', `办件 ${businessNo} 不存在`);
    return record;
  }

  /**
   * Whether a platform stage shows the jurisdiction window has the materials. The
   * platform's acceptance of the electronic record is their arrival when they
   * travel online (ONLINE, and BOTH, where the paper follows only for review or
   * archiving: seed 000 二(二)); paper (OFFLINE) has arrived only at the courier's
   * 签收 or the jurisdiction's confirmation. A decision proves the arrival either way.
   */
  private platformProvesReceipt(record: CaseRecord, stage: PlatformStage): boolean {
    if (stage === 'SUBMITTED') return false;
    if (record.transfer?.channel !== 'OFFLINE') return true;
    return PLATFORM_ORDER[stage] >= PLATFORM_ORDER.DECIDED;
  }

  private receivedAtJurisdiction(record: CaseRecord, at: string) {
    return {
      record: {
        ...record,
        stage: 'AT_JURISDICTION' as const,
        clock: this.clock(record, 'RESUME', at),
        transfer: record.transfer && { ...record.transfer, receivedAt: at },
      },
      type: 'MATERIALS_RECEIVED',
      data: {},
    };
  }

  /**
   * Applies one change with an optimistic lock: the change is computed from the
   * stored case and written only over that version, retried on a conflict. A
   * `mutate` that returns null means the change is already there (idempotent).
   * A `read` record of the case is used instead of the first read.
   */
  private async transition(
    businessNo: string,
    action: CaseAction,
    actor: string,
    mutate: (
      record: CaseRecord,
      now: string,
    ) => { record: CaseRecord; type: string; data: Record<string, unknown>; outbox?: OutboxEntry[] } | null,
    allowed: (record: CaseRecord) => boolean = () => false,
    read?: CaseRecord,
  ): Promise<CaseRecord> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = attempt === 0 && read?.businessNo === businessNo ? read : await this.get(businessNo);
      if (!allowed(current)) assertTransition(current.stage, action);
      const now = this.deps.now().toISOString();
      const change = mutate(current, now);
      if (!change) return current;
      const next: CaseRecord = { ...change.record, version: current.version + 1, updatedAt: now };
      const event = this.event(change.type, now, actor, change.data);
      const written = await this.deps.store.update(current, next, event, this.deps.alerts.changes(current, next), change.outbox);
      if (written.status === 'WRITTEN') return next;
      if (written.status === 'MISSING') throw new NotFoundError('CASE.NOT_FOUND', `办件 ${businessNo} 不存在`);
    }
    throw new DomainError('CASE.CONFLICT', `办件 ${businessNo} 正被同时修改，请重试`);
  }

  /**
   * When a platform or the courier says something happened, on our clock: its
   * own time, kept between the case's last clock event and the moment we learn
   * it, so an outside clock that runs fast or slow (or lies) can neither reorder
   * the case's clock, date an event in the future, nor meet a deadline before
   * the case was even dispatched (nor, with `after`, before the step it
   * reports on began). The reported time stays in the event.
   */
  private outsideInstant(source: OutsideTimeReport['source'], at: string, record: CaseRecord, now: string, after?: string | null): string {
    const last = record.clock.events.at(-1)?.at;
    const reported = Date.parse(at);
    const floor = Math.max(last ? Date.parse(last) : -Infinity, after ? Date.parse(after) : -Infinity);
    const ms = Number.isNaN(reported) ? Date.parse(now) : Math.min(Date.parse(now), Math.max(reported, floor));
    if (ms === reported) return at;
    const used = new Date(ms).toISOString();
    this.deps.onOutsideTime?.({ source, businessNo: record.businessNo, reported: at, used });
    return used;
  }

  private clock(record: CaseRecord, type: ClockEventType, at: string) {
    return applyClockEvent(record.clock, { type, at });
  }

  private event(type: string, at: string, actor: string, data: Record<string, unknown>): CaseEvent {
    return { type, at, actor, data };
  }

  private correctionDeadline(now: string) {
    const deadline = stageDeadline('CORRECTION', now, this.deps.calendar);
    return { deadline: deadline.dueDate, dueAt: deadline.dueAt, workingDays: deadline.workingDays };
  }

  private async window(id: string): Promise<WindowRecord> {
    const [window] = await this.deps.windows.getMany([id]);
    if (!window) throw new NotFoundError('WINDOW.NOT_FOUND', `窗口 ${id} 不存在`);
    return window;
  }

  private async item(code: string): Promise<CatalogItem> {
    const [item] = await this.deps.platforms[regionOfItemCode(code)].getItemsByCodes([code]);
    if (!item) throw new NotFoundError('ITEM.NOT_FOUND', `事项 ${code} 不存在`);
    return item;
  }

  /** The named window, or the owning region's window for the item's division, else its provincial hall. */
  private async jurisdictionWindow(item: CatalogItem, requested: string | null | undefined): Promise<WindowRecord> {
    if (requested) {
      const window = await this.window(requested);
      if (!window.active || !window.roles.includes('JURISDICTION') || regionOfDivision(window.divisionCode) !== item.region) {
        throw new InputError('WINDOW.NOT_JURISDICTION', `${window.name}不是该事项的属地窗口`);
      }
      return window;
    }
    const candidates = (await this.deps.windows.list({ region: item.region })).filter(
      (w) => w.active && w.roles.includes('JURISDICTION') && (w.itemCodes.length === 0 || w.itemCodes.includes(item.code)),
    );
    const provincial = `${item.divisionCode.slice(0, 2)}0000`;
    const chosen =
      candidates.find((w) => w.divisionCode === item.divisionCode) ?? candidates.find((w) => w.divisionCode === provincial);
    if (!chosen) throw new NotFoundError('WINDOW.NO_JURISDICTION', `没有受理事项 ${item.code} 的属地窗口`);
    return chosen;
  }
}

/**
 * The request key in the caller's namespace, with a digest of the application as
 * validated: what tells a retry from a second application sent under the same key.
 */
function submissionRequest(
  input: ReceiveApplicationInput,
  actor: string,
  validated: Pick<CaseRecord, 'applicant' | 'contact' | 'delivery' | 'handler'> & { materials: HandedInMaterial[] },
): SubmissionRequest | null {
  const key = input.requestKey;
  if (key == null) return null;
  if (!REQUEST_KEY.test(key)) {
    throw new InputError('INPUT.INVALID_REQUEST_KEY', '请求标识应为 1 至 128 个可打印 ASCII 字符');
  }
  const application = {
    windowId: input.windowId,
    jurisdictionWindowId: input.jurisdictionWindowId ?? null,
    itemCode: input.itemCode,
    ...validated,
  };
  const inputDigest = createHash('sha256').update(JSON.stringify(application)).digest('base64url');
  return { scope: { windowId: input.windowId, actor }, key, inputDigest };
}

function requireText(value: string | null | undefined, field: string): string {
  const text = value?.trim() ?? '';
  if (!text) throw new InputError('INPUT.REQUIRED', `${field}不能为空`);
  if (text.length > MAX_TEXT) throw new InputError('INPUT.TOO_LONG', `${field}不能超过 ${MAX_TEXT} 字`);
  return text;
}

function validateApplicant(applicant: ReceiveApplicationInput['applicant'], now: string) {
  const name = requireText(applicant.name, '申请人名称');
  const idNumber =
    applicant.kind === 'PERSON' ? validateResidentId(applicant.idNumber, { now }) : validateUscc(applicant.idNumber);
  return { kind: applicant.kind, name, idNumber };
}

function validateDelivery(delivery: ReceiveApplicationInput['delivery']): CaseRecord['delivery'] {
  if (delivery.method === 'PICKUP') return { method: 'PICKUP', address: null };
  const address = delivery.address;
  if (!address) throw new InputError('INPUT.ADDRESS_REQUIRED', '邮寄送达须填写收件地址');
  return {
    method: 'MAIL',
    address: {
      recipient: requireText(address.recipient, '收件人'),
      phone: validatePhone(address.phone),
      address: requireText(address.address, '收件地址'),
      postcode: validatePostcode(address.postcode),
    },
  };
}

function validateMaterials(materials: HandedInMaterial[]): HandedInMaterial[] {
  if (materials.length === 0) throw new InputError('INPUT.NO_MATERIALS', '至少应提交一件申请材料');
  if (materials.length > MAX_MATERIALS) {
    throw new InputError('INPUT.TOO_MANY_MATERIALS', `一次最多提交 ${MAX_MATERIALS} 件材料`);
  }
  return materials.map((material) => {
    if (!Number.isInteger(material.copies) || material.copies < 1 || material.copies > 99) {
      throw new InputError('INPUT.INVALID_COPIES', `材料“${material.name}”的份数应为 1 至 99`);
    }
    return { name: requireText(material.name, '材料名称'), form: material.form, copies: material.copies };
  });
}

