import type { Redis } from 'ioredis';
import { FileNotFoundError } from './file-errors.js';
import type { FileKind } from './file-check.js';

/** Who sends an upload: the gateway's authorize hook says so from the caller's token. */
export interface Uploader {
  userId: string;
  windowId: string;
}

/** A finished, checked upload whose bytes are in the FileStore, waiting to be bound to a case's material. */
export interface UploadRecord {
  uploadId: string;
  sha256: string;
  size: number;
  type: FileKind;
  mime: string;
  /** PDFs only; null (JSON has no undefined) for the others. */
  pages: number | null;
  uploadedBy: string;
  windowId: string;
  /** As the client named it in Upload-Metadata; for people only, never for the type. */
  filename: string | null;
  finishedAt: string;
}

const UPLOAD_ID = /^[A-Za-z0-9_-]{1,128}$/;

function recordKey(keyPrefix: string, uploadId: string): string {
  if (!UPLOAD_ID.test(uploadId)) throw new FileNotFoundError(`uploaded as ${JSON.stringify(uploadId.slice(0, 80))}`);
  return `${keyPrefix}${uploadId}`;
}

export async function saveUploadRecord(redis: Redis, keyPrefix: string, record: UploadRecord, ttlMs: number): Promise<void> {
  await redis.set(recordKey(keyPrefix, record.uploadId), JSON.stringify(record), 'PX', ttlMs);
}

/**
 * Read and delete in one step, and only for the window that uploaded: two
 * bindings of one upload id race to this script and exactly one gets the record.
 * Another window's upload is answered like a missing one, so ids cannot be probed.
 */
const CLAIM = `
local value = redis.call('GET', KEYS[1])
if not value then return false end
if cjson.decode(value).windowId ~= ARGV[1] then return false end
redis.call('DEL', KEYS[1])
return value
`;

/** @throws FileNotFoundError when there is no such finished upload of `by`'s window, or it was claimed already. */
export async function claimUpload(redis: Redis, keyPrefix: string, uploadId: string, by: Uploader): Promise<UploadRecord> {
  const value = (await redis.eval(CLAIM, 1, recordKey(keyPrefix, uploadId), by.windowId)) as string | null;
  if (value === null) throw new FileNotFoundError(`uploaded as ${uploadId} by window ${by.windowId} and not yet bound`);
  return JSON.parse(value) as UploadRecord;
}

/** Where finished uploads wait, inside the connection's own prefix: the gateway's tus endpoint writes here and the ledger binds from here. */
export const UPLOAD_RECORD_PREFIX = 'upload:';

/**
 * The finished uploads as the ledger reads them: found by id, and bound by
 * claiming the record's key in the case's own write (ledger/workflow/ports.ts).
 */
export function finishedUploads(redis: Redis, keyPrefix = UPLOAD_RECORD_PREFIX) {
  return {
    async find(uploadId: string): Promise<UploadRecord | null> {
      if (!UPLOAD_ID.test(uploadId)) return null;
      const value = await redis.get(recordKey(keyPrefix, uploadId));
      return value ? (JSON.parse(value) as UploadRecord) : null;
    },
    recordKey: (uploadId: string) => recordKey(keyPrefix, uploadId),
  };
}
