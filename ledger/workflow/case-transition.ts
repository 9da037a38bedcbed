import type { CatalogItem, PlatformPort } from '../../adapters/platform.port.js';
import type { WorkingCalendar } from '../../domain/calendar/index.js';
import { applyClockEvent, type ClockEventType } from '../../domain/clock/index.js';
import { DomainError, NotFoundError } from '../../domain/errors.js';
import { regionOfItemCode, type Region } from '../../domain/region.js';
import { assertTransition, type CaseAction } from '../../domain/workflow/case-stages.js';
import type { CaseEvent, CaseRecord } from '../cases/case.model.js';
import type { CaseStore } from '../cases/case.store.js';
import type { OutboxEntry } from '../cases/case-write.script.js';
import type { WindowRecord } from '../windows/window.model.js';
import type { AlertScheduler, FinishedUploads, NotificationOutbox, OutsideTimeReport, TransferQueue, WindowDirectory } from './ports.js';

export interface WorkflowDeps {
  store: CaseStore;
  windows: WindowDirectory;
  platforms: Record<Region, PlatformPort>;
  calendar: WorkingCalendar;
  transfers: TransferQueue;
  notifications: NotificationOutbox;
  alerts: AlertScheduler;
  uploads: FinishedUploads;
  /** At most this many bytes of scans per case. */
  caseFilesMaxBytes: number;
  /** Where the public verify page is: the pickup SMS names a certificate's link. */
  verifyBaseUrl: string;
  now: () => Date;
  /** Told of every outside time that had to be bounded: the workers log and count them. */
  onOutsideTime?: (report: OutsideTimeReport) => void;
}

/** One change to a case as a stage computes it from the stored record; null when the change is already there. */
export type CaseChange = {
  record: CaseRecord;
  type: string;
  data: Record<string, unknown>;
  outbox?: OutboxEntry[];
  /** Keys the write claims (checks and deletes), such as a finished upload's record, and the error when one is gone. */
  claims?: { keys: string[]; gone: () => Error };
} | null;

const MAX_ATTEMPTS = 5;

/** What every stage of the workflow changes a case through. */
export class CaseTransitions {
  /** The outside times bounded by the `mutate` running now; reported only once its write lands, so a retried write reports once. */
  private bounded: OutsideTimeReport[] = [];

  constructor(readonly deps: WorkflowDeps) {}

  /**
   * Applies one change with an optimistic lock: the change is computed from the
   * stored case and written only over that version, retried on a conflict. A
   * `mutate` that returns null means the change is already there (idempotent).
   * A `read` record of the case is used instead of the first read.
   */
  async apply(
    businessNo: string,
    action: CaseAction,
    actor: string,
    mutate: (record: CaseRecord, now: string) => CaseChange,
    allowed: (record: CaseRecord) => boolean = () => false,
    read?: CaseRecord,
  ): Promise<CaseRecord> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = attempt === 0 && read?.businessNo === businessNo ? read : await this.get(businessNo);
      if (!allowed(current)) assertTransition(current.stage, action);
      const now = this.deps.now().toISOString();
      this.bounded = [];
      const change = mutate(current, now);
      const bounded = this.bounded;
      this.bounded = [];
      if (!change) return current;
      const next: CaseRecord = { ...change.record, version: current.version + 1, updatedAt: now };
      const event = this.event(change.type, now, actor, change.data);
      const written = await this.deps.store.update(current, next, event, this.deps.alerts.changes(current, next), change.outbox, change.claims?.keys);
      if (written.status === 'WRITTEN') {
        for (const report of bounded) this.deps.onOutsideTime?.(report);
        return next;
      }
      if (written.status === 'GONE') throw change.claims!.gone();
      if (written.status === 'MISSING') throw new NotFoundError('CASE.NOT_FOUND', `办件 ${businessNo} 不存在`);
    }
    throw new DomainError('CASE.CONFLICT', `办件 ${businessNo} 正被同时修改，请重试`);
  }

  async get(businessNo: string): Promise<CaseRecord> {
    const record = await this.deps.store.get(businessNo);
    if (!record) throw new NotFoundError('CASE.NOT_FOUND', `办件 ${businessNo} 不存在`);
    return record;
  }

  /**
   * When a platform or the courier says something happened, on our clock: its
   * own time, kept between the case's last clock event and the moment we learn
   * it, so an outside clock that runs fast or slow (or lies) can neither reorder
   * the case's clock, date an event in the future, nor meet a deadline before
   * the case was even dispatched (nor, with `after`, before the step it
   * reports on began). The reported time stays in the event.
   */
  outsideInstant(source: OutsideTimeReport['source'], at: string, record: CaseRecord, now: string, after?: string | null): string {
    const last = record.clock.events.at(-1)?.at;
    const reported = Date.parse(at);
    const floor = Math.max(last ? Date.parse(last) : -Infinity, after ? Date.parse(after) : -Infinity);
    const ms = Number.isNaN(reported) ? Date.parse(now) : Math.min(Date.parse(now), Math.max(reported, floor));
    if (ms === reported) return at;
    const used = new Date(ms).toISOString();
    this.bounded.push({ source, businessNo: record.businessNo, reported: at, used });
    return used;
  }

  /** The jurisdiction window has the materials: the clock resumes (属地窗口收到材料后恢复计时). */
  receivedAtJurisdiction(record: CaseRecord, at: string) {
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

  clock(record: CaseRecord, type: ClockEventType, at: string) {
    return applyClockEvent(record.clock, { type, at });
  }

  event(type: string, at: string, actor: string, data: Record<string, unknown>): CaseEvent {
    return { type, at, actor, data };
  }

  async window(id: string): Promise<WindowRecord> {
    const [window] = await this.deps.windows.getMany([id]);
    if (!window) throw new NotFoundError('WINDOW.NOT_FOUND', `窗口 ${id} 不存在`);
    return window;
  }

  async item(code: string): Promise<CatalogItem> {
    const [item] = await this.deps.platforms[regionOfItemCode(code)].getItemsByCodes([code]);
    if (!item) throw new NotFoundError('ITEM.NOT_FOUND', `事项 ${code} 不存在`);
    return item;
  }
}
