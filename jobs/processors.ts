import type { PlatformRecordMismatchError } from '../adapters/platform.errors.js';
import type { PlatformPort } from '../adapters/platform.port.js';
import type { Region } from '../domain/region.js';
import type { CourierPort } from '../adapters/courier/courier.port.js';
import type { NotificationPort } from '../adapters/notify/notify.port.js';
import type { ShipmentStore } from '../ledger/shipments/shipment.store.js';
import { courierPollProcessor } from './courier-poll.processor.js';
import { courierSyncProcessor, type CaseEffects } from './courier-sync.processor.js';
import type { WorkingCalendar } from '../domain/calendar/index.js';
import type { AlertStore } from '../ledger/alerts/alert.store.js';
import type { CaseWorkflow } from '../ledger/workflow/case-workflow.service.js';
import type { WindowDirectory } from '../ledger/workflow/ports.js';
import { alertSweepProcessor } from './alert-sweep.processor.js';
import { deadlineAlertProcessor } from './deadline-alert.processor.js';
import type { JobQueues } from '../queues/job-queues.js';
import { notificationProcessor } from './notification.processor.js';
import type { CaseStore } from '../ledger/cases/case.store.js';
import { materialTransferProcessor } from './material-transfer.processor.js';
import { platformPollProcessor } from './platform-poll.processor.js';
import { platformSyncProcessor } from './platform-sync.processor.js';
import { QUEUES, type QueueName } from '../queues/queues.js';
import type { Processor } from './worker-host.js';
import type { FileStore } from '../lib/files/file-store.js';
import { createFileStore, createTusDatastore, type TusDatastore } from '../lib/files/store-factory.js';
import { uploadSweepProcessor } from './upload-sweep.processor.js';
import { caseArchiveProcessor } from './case-archive.processor.js';
import { UPLOAD_RECORD_PREFIX, UploadRecordStore } from '../lib/files/upload-record.store.js';
import type { FilePolicy } from '../lib/files/file-check.js';
import type { CertificateStore } from '../ledger/certificates/certificate.store.js';
import type { Redis } from 'ioredis';
import type { Config } from '../lib/config.js';

export interface ProcessorDeps {
  workflow: CaseWorkflow;
  store: CaseStore;
  alerts: AlertStore;
  directory: WindowDirectory;
  calendar: WorkingCalendar;
  platforms: Record<Region, PlatformPort>;
  /** Where the scans and certificates are kept. */
  files: FileStore;
  filePolicy: FilePolicy;
  /** The e-certificates' codes, for the public verify page. */
  certificates: CertificateStore;
  /** Uploads in progress (tus), swept once past their expiry. */
  uploads: TusDatastore;
  uploadRecords: UploadRecordStore;
  uploadExpiryMs: number;
  /** Closed cases unchanged this long are archived to `files` (ARCHIVE.md). */
  archiveAfterDays: number;
  notify: NotificationPort;
  queues: Pick<JobQueues, 'transfers' | 'notifications' | 'courierEvents' | 'alerts'>;
  courier: CourierPort;
  shipments: ShipmentStore;
  caseEffects: CaseEffects;
  now: () => Date;
  /** Platform records found under a case's id that belong to another case (platform poll). */
  onPlatformRecordMismatch?: (mismatch: PlatformRecordMismatchError) => void;
}

/** The processor of each queue; a queue without one is not consumed by this process. */
export function createProcessors(deps: ProcessorDeps): Partial<Record<QueueName, Processor>> {
  return {
    [QUEUES.materialTransfer]: materialTransferProcessor(deps) as Processor,
    [QUEUES.platformSync]: platformSyncProcessor(deps) as Processor,
    [QUEUES.platformPoll]: platformPollProcessor({ ...deps, transfers: deps.queues.transfers, onRecordMismatch: deps.onPlatformRecordMismatch }) as Processor,
    [QUEUES.deadlineAlerts]: deadlineAlertProcessor({ ...deps, notifications: deps.queues.notifications, timetable: deps.queues.alerts }) as Processor,
    [QUEUES.alertSweep]: alertSweepProcessor({ timetable: deps.queues.alerts, transfers: deps.queues.transfers, notifications: deps.queues.notifications }) as Processor,
    [QUEUES.notifications]: notificationProcessor(deps) as Processor,
    [QUEUES.courierSync]: courierSyncProcessor({ shipments: deps.shipments, effects: deps.caseEffects }) as Processor,
    [QUEUES.courierPoll]: courierPollProcessor({ ...deps, events: deps.queues.courierEvents }) as Processor,
    [QUEUES.uploadSweep]: uploadSweepProcessor(deps) as Processor,
    [QUEUES.caseArchive]: caseArchiveProcessor(deps) as Processor,
  };
}

/** What the workers need of the files: the store of scans and certificates, its policy, and the uploads to sweep. */
export function workerFileDeps(files: Config['files'], redis: Redis) {
  return {
    files: createFileStore(files.store),
    filePolicy: files.policy,
    uploads: createTusDatastore(files.store, files.uploadExpiryMs, files.uploadStagingDir),
    uploadRecords: new UploadRecordStore(redis, UPLOAD_RECORD_PREFIX),
    uploadExpiryMs: files.uploadExpiryMs,
  };
}
