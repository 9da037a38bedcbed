import type { Redis } from 'ioredis';
import type { PlatformPort } from '../adapters/platform.port.js';
import { getDefaultCalendar, type WorkingCalendar } from '../domain/calendar/index.js';
import type { Region } from '../domain/region.js';
import type { FilePolicy } from '../lib/files/file-check.js';
import type { FileStore } from '../lib/files/file-store.js';
import { UPLOAD_RECORD_PREFIX, UploadRecordStore } from '../lib/files/upload-record.store.js';
import { guidedPlatforms } from './catalog/official-guides.js';
import { CaseArchives } from './cases/case-archive.js';
import { CaseStore } from './cases/case.store.js';
import { WindowStore } from './windows/window.store.js';
import { CaseWorkflow } from './workflow/case-workflow.service.js';
import type { AlertScheduler, NotificationOutbox, OutsideTimeReport, TransferQueue } from './workflow/ports.js';

export interface LedgerDeps {
  redis: Redis;
  platforms: Record<Region, PlatformPort>;
  transfers: TransferQueue;
  notifications: NotificationOutbox;
  alerts: AlertScheduler;
  /** What a case's scans may hold (config.files.policy). */
  files: Pick<FilePolicy, 'caseMaxBytes'>;
  /** Where the scans and certificates are kept, and the archives of closed cases (ARCHIVE.md). */
  fileStore: FileStore;
  /** config.certificates.verifyBaseUrl */
  verifyBaseUrl: string;
  /** Defaults to the official calendar with the shipped overrides. */
  calendar?: WorkingCalendar;
  now?: () => Date;
  onOutsideTime?: (report: OutsideTimeReport) => void;
}

/** The workflow over Redis, as the cases subgraph and the workers both use it. */
export function createCaseWorkflow(deps: LedgerDeps) {
  const calendar = deps.calendar ?? getDefaultCalendar();
  const store = new CaseStore(deps.redis, calendar, new CaseArchives(deps.fileStore));
  const directory = new WindowStore(deps.redis);
  const now = deps.now ?? (() => new Date());
  const workflow = new CaseWorkflow({
    store,
    windows: directory,
    // Receipt reviews materials and snapshots limits as the official guide gives them, where one is loaded.
    platforms: guidedPlatforms(deps.platforms, deps.redis),
    calendar,
    transfers: deps.transfers,
    notifications: deps.notifications,
    alerts: deps.alerts,
    uploads: new UploadRecordStore(deps.redis, UPLOAD_RECORD_PREFIX),
    caseFilesMaxBytes: deps.files.caseMaxBytes,
    verifyBaseUrl: deps.verifyBaseUrl,
    now,
    onOutsideTime: deps.onOutsideTime,
  });
  return { store, directory, calendar, now, workflow };
}
