import type { Redis } from 'ioredis';
import { FileNotFoundError } from './file-errors.js';
import type { FileKind } from './file-check.js';

/** Who sends an upload: the gateway's authorize hook says so from the caller's token. */
export interface Uploader {
  userId: string;
  windowId: string;
  /** The hash tag of the window's ledger partition: the record waits in the slot of the cases it can be bound to. */
  partition: string;
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
const PARTITION = /^\{[A-Za-z0-9]{1,16}\}$/;

/** Where finished uploads wait, inside the connection's own prefix: the gateway's tus endpoint writes here and the ledger binds from here. */
export const UPLOAD_RECORD_PREFIX = 'upload:';

/**
 * Finished uploads waiting to be bound, one Redis key each under `keyPrefix`
 * (inside the connection's own prefix), lapsing after the TTL they were saved
 * with; and the uploads under way, by creation time, for the sweep.
 */
export class UploadRecordStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  /** Noted when an upload is created, forgotten when it is finished or swept. */
  async opened(uploadId: string, at: Date): Promise<void> {
    await this.redis.zadd(this.openKey(), at.getTime(), uploadId);
  }

  async closed(uploadId: string): Promise<void> {
    await this.redis.zrem(this.openKey(), uploadId);
  }

  openedBefore(before: Date, limit = 1000): Promise<string[]> {
    return this.redis.zrangebyscore(this.openKey(), '-inf', before.getTime(), 'LIMIT', 0, limit);
  }

  async save(record: UploadRecord, partition: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.key(record.uploadId, partition), JSON.stringify(record), 'PX', ttlMs);
  }

  /** The finished upload in a partition, while it waits to be bound; null for an unknown, lapsed or bound one, or an id that names no upload. */
  async find(uploadId: string, partition: string): Promise<UploadRecord | null> {
    if (!UPLOAD_ID.test(uploadId) || !PARTITION.test(partition)) return null;
    const value = await this.redis.get(this.key(uploadId, partition));
    return value ? (JSON.parse(value) as UploadRecord) : null;
  }

  /**
   * The key a binding claims: the ledger deletes it in the write that binds the
   * upload to a case, only while it exists, so one upload is bound once
   * (ledger/workflow/scans.stage.ts).
   */
  recordKey(uploadId: string, partition: string): string {
    return this.key(uploadId, partition);
  }

  private key(uploadId: string, partition: string): string {
    if (!UPLOAD_ID.test(uploadId) || !PARTITION.test(partition)) throw new FileNotFoundError(`uploaded as ${JSON.stringify(uploadId.slice(0, 80))}`);
    return `${this.keyPrefix}${partition}:record:${uploadId}`;
  }

  private openKey(): string {
    return `${this.keyPrefix}open`;
  }
}
