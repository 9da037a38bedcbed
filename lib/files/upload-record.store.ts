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

  async save(record: UploadRecord, ttlMs: number): Promise<void> {
    await this.redis.set(this.key(record.uploadId), JSON.stringify(record), 'PX', ttlMs);
  }

  /**
   * The record, once: read and deleted in one script, and only for the window
   * that uploaded, so two bindings of one upload id race and exactly one wins.
   * Another window's upload is answered like a missing one, so ids cannot be probed.
   * @throws FileNotFoundError when there is no such unbound upload of `by`'s window.
   */
  async claim(uploadId: string, by: Uploader): Promise<UploadRecord> {
    const value = (await this.redis.eval(CLAIM, 1, this.key(uploadId), by.windowId)) as string | null;
    if (value === null) throw new FileNotFoundError(`uploaded as ${uploadId} by window ${by.windowId} and not yet bound`);
    return JSON.parse(value) as UploadRecord;
  }

  private key(uploadId: string): string {
    if (!UPLOAD_ID.test(uploadId)) throw new FileNotFoundError(`uploaded as ${JSON.stringify(uploadId.slice(0, 80))}`);
    return `${this.keyPrefix}record:${uploadId}`;
  }

  private openKey(): string {
    return `${this.keyPrefix}open`;
  }
}

const CLAIM = `
local value = redis.call('GET', KEYS[1])
if not value then return false end
if cjson.decode(value).windowId ~= ARGV[1] then return false end
redis.call('DEL', KEYS[1])
return value
`;
