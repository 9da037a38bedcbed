import { stageDeadline } from '../../domain/clock/index.js';
import { DomainError } from '../../domain/errors.js';
import type { CaseRecord, TransferChannel } from '../cases/case.model.js';
import type { CaseTransitions } from './case-transition.js';
import { materialsWithoutScan } from './scans.stage.js';

/** 材料流转: the materials travel to the jurisdiction, online, on paper or both, with the clock paused. */
export class TransferStage {
  constructor(private readonly t: CaseTransitions) {}

  /**
   * 材料流转: the clock pauses while the materials travel; the transfer job forwards the case.
   * A retry of a dispatch that landed (its answer lost to a timeout) answers the dispatched case.
   * Online (ONLINE, BOTH), every qualified material travels as its scan, so each must have one.
   */
  async dispatchMaterials(businessNo: string, channel: TransferChannel, actor: string): Promise<CaseRecord> {
    const updated = await this.t.apply(businessNo, 'DISPATCH', actor, (record, now) => {
      if (record.transfer) return null;
      const acceptedAt = record.acceptedAt ?? now;
      const online = channel !== 'OFFLINE';
      const paper = channel !== 'ONLINE';
      const unscanned = online ? materialsWithoutScan(record) : [];
      if (unscanned.length > 0) {
        throw new DomainError('CASE.SCANS_MISSING', `以下材料尚无扫描件，不能网络传输：${unscanned.join('、')}；请先上传扫描件，或选择纸质邮寄（OFFLINE）`);
      }
      return {
        record: {
          ...record,
          stage: 'IN_TRANSFER',
          clock: this.t.clock(record, 'PAUSE', now),
          transfer: {
            channel,
            dispatchedAt: now,
            onlineDueAt: online ? stageDeadline('ONLINE_TRANSFER', acceptedAt, this.t.deps.calendar).dueAt : null,
            paperDueAt: paper ? stageDeadline('PAPER_MAIL', acceptedAt, this.t.deps.calendar).dueAt : null,
            forwardedAt: null,
            paperSentAt: null,
            receivedAt: null,
          },
        },
        type: 'MATERIALS_DISPATCHED',
        data: { channel },
        outbox: [this.t.deps.transfers.intent(businessNo, channel, now)],
      };
    }, (record) => record.transfer?.channel === channel);
    if (updated.stage === 'IN_TRANSFER' && !updated.platformCaseId) {
      // The outbox has the job already; queueing it now only saves the sweep's delay, so a failure here is no failure of the dispatch.
      await this.t.deps.transfers.enqueue(businessNo, channel).catch(() => undefined);
    }
    return updated;
  }

  /** The paper left the receiving window: the courier collected the waybill (揽收). */
  recordPaperSent(businessNo: string, at: string, actor: string): Promise<CaseRecord> {
    return this.t.apply(businessNo, 'PLATFORM_PROGRESS', actor, (record, now) => {
      if (!record.transfer || record.transfer.paperSentAt) return null;
      const sentAt = this.t.outsideInstant('courier', at, record, now);
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
    return this.t.apply(businessNo, 'PLATFORM_PROGRESS', actor, (record, now) => {
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
    return this.t.apply(
      businessNo,
      'MATERIALS_RECEIVED',
      actor,
      (record, now) => {
        if (record.transfer?.receivedAt) return null;
        const at = courierAt === undefined ? now : this.t.outsideInstant('courier', courierAt, record, now);
        const received = this.t.receivedAtJurisdiction(record, at);
        return courierAt === undefined ? received : { ...received, data: { courierAt } };
      },
      (record) => Boolean(record.transfer?.receivedAt),
    );
  }
}
