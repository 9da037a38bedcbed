import type { FileStore } from '../lib/files/file-store.js';
import type { TusDatastore } from '../lib/files/store-factory.js';
import { cleanUpExpiredUploads } from '../lib/files/tus-uploads.js';
import type { UploadRecordStore } from '../lib/files/upload-record.store.js';

/**
 * The recurring sweep of scans that never finished: tus uploads abandoned half
 * way (a hall's link that dropped for good) past their expiry, with the bytes
 * they had received, and bytes a crash left staged in the file store.
 */
export function uploadSweepProcessor(deps: { uploads: TusDatastore; files: FileStore; uploadRecords: UploadRecordStore; uploadExpiryMs: number; now: () => Date }) {
  return (): Promise<{ uploads: number; staged: number }> => cleanUpExpiredUploads(deps.uploads, deps.files, deps.uploadRecords, deps.uploadExpiryMs, deps.now());
}
