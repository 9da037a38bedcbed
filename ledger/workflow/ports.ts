import type { OutboundMessage } from '../../adapters/notify/notify.port.js';
import type { Region } from '../../domain/region.js';
import type { CaseRecord, ScanType, TransferChannel } from '../cases/case.model.js';
import type { OutboxEntry, TimetableWrites } from '../cases/case-write.script.js';
import type { WindowRecord } from '../windows/window.model.js';

/**
 * What the workflow needs from outside the ledger. The queues (queues/) and the
 * windows subgraph implement these; the ledger imports neither.
 */

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

/**
 * Whom a queued message goes to. Job data is read by ops in the queue dashboard
 * and kept with failed jobs, so it holds references, never a person's data: a
 * message for the case's contact names the case, and the processor reads the
 * phone from the ledger when it sends. A window's e-mail is an office's address
 * and is kept as it is.
 */
export type Recipient = { kind: 'ADDRESS'; address: string } | { kind: 'CASE_CONTACT'; businessNo: string };

export type NotificationJob = Omit<OutboundMessage, 'to'> & {
  recipient: Recipient;
  /**
   * The case deadline this message meets once the gateway has accepted it: the
   * processor records the acceptance on the case (APPLICANT_PICKUP_NOTICE).
   */
  meets?: 'APPLICANT_PICKUP_NOTICE';
};

/** Like TransferQueue, for the messages a change commits to (queues/notifications.queue.ts). */
export interface NotificationOutbox {
  /** The outbox entry of a message that a change of `businessNo` commits to. */
  intent(message: NotificationJob, at: string, businessNo: string): OutboxEntry;
  /** Queues it; `from` names the case whose outbox held it. */
  enqueue(message: NotificationJob, from?: string): Promise<void>;
}

/** A time reported by a platform, the courier or the notify gateway that fell outside what can be true, and the time used instead. */
export interface OutsideTimeReport {
  source: 'platform' | 'courier' | 'notify';
  businessNo: string;
  reported: string;
  used: string;
}

/** Keeps a case's deadline alerts scheduled as its state requires (queues/deadline-alerts.queue.ts), in the write of each change. */
export interface AlertScheduler {
  changes(previous: CaseRecord | null, next: CaseRecord): TimetableWrites;
}

/** A finished upload, checked and stored by its digest, waiting to be bound to a case's material. */
export interface FinishedUpload {
  uploadId: string;
  sha256: string;
  size: number;
  type: ScanType;
  pages: number | null;
  /** The receiving window it was uploaded at: only a case of that window may bind it. */
  windowId: string;
}

/** The uploads the receiving windows have finished (lib/files); binding one deletes its record in the case's own write. */
export interface FinishedUploads {
  /** `partition`: the hash tag of the case's partition, where its window's uploads wait (ledger/cases/case-partitions.ts). */
  find(uploadId: string, partition: string): Promise<FinishedUpload | null>;
  /** The record's key, claimed (checked and deleted) by the write that binds the upload. */
  recordKey(uploadId: string, partition: string): string;
}
