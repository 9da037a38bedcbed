import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DomainError } from '../../domain/errors.js';
import { readBounded, type FileStore, type StoredFile } from '../../lib/files/file-store.js';
import type { CaseEvent, CaseRecord, CaseStage } from './case.model.js';

/** The stages a case may be archived from, once nothing has changed it for `ARCHIVE_AFTER_DAYS` (ARCHIVE.md). */
export const CLOSED_STAGES: readonly CaseStage[] = ['DELIVERED', 'REFUSED', 'ABANDONED'];

export const CASE_ARCHIVE_FORMAT = 'tongban.case-archive/1';

/** One closed case as the file store keeps it, stored under its SHA-256 (ARCHIVE.md). */
export interface CaseArchiveDocument {
  format: typeof CASE_ARCHIVE_FORMAT;
  /** The record as the ledger codec decodes it, at its last change (without the pointer to an earlier archive). */
  record: CaseRecord;
  /** The whole event stream, oldest first, an earlier archive's events included. */
  events: CaseEvent[];
  /** The case's 政务专递 shipments as the shipment store held them (they stay in Redis too: the courier's pushes name them by waybill). */
  shipments: unknown[];
}

/** The most an archive may hold: far above any case, so that a corrupt size cannot make a reader buffer gigabytes. */
const MAX_ARCHIVE_BYTES = 32 * 1024 * 1024;
const CACHED_DOCUMENTS = 256;

export class CaseArchiveUnreadableError extends DomainError {
  constructor(businessNo: string, reason: string, options?: { cause?: unknown }) {
    super('CASE.ARCHIVE_UNREADABLE', `办件 ${businessNo} 的归档文件无法读取：${reason}`, options);
  }
}

/**
 * Archives of closed cases in the file store the scans use: one JSON document
 * per case, content-addressed, so that writing the same case twice (a job
 * retried after a crash) makes one file. An archive never changes once
 * written, so the documents read are kept in a small cache by digest.
 */
export class CaseArchives {
  private readonly cache = new Map<string, CaseArchiveDocument>();

  constructor(private readonly files: FileStore) {}

  /** Writes the document, then reads it back and checks its digest: a stub is only put in place over an archive known to be whole. */
  async write(document: CaseArchiveDocument): Promise<StoredFile> {
    const bytes = Buffer.from(JSON.stringify(document), 'utf8');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const stored = await this.files.put(Readable.from([bytes]), { maxBytes: MAX_ARCHIVE_BYTES, expectedSha256: sha256 });
    const back = await readBounded(await this.files.get(sha256), MAX_ARCHIVE_BYTES);
    if (back.length !== bytes.length || createHash('sha256').update(back).digest('hex') !== sha256) {
      throw new CaseArchiveUnreadableError(document.record.businessNo, `写入后读回的内容与摘要 ${sha256} 不符`);
    }
    return { sha256: stored.sha256, size: stored.size };
  }

  async read(businessNo: string, archive: StoredFile): Promise<CaseArchiveDocument> {
    const cached = this.cache.get(archive.sha256);
    if (cached) return cached;
    let bytes: Buffer;
    try {
      bytes = await readBounded(await this.files.get(archive.sha256), MAX_ARCHIVE_BYTES);
    } catch (error) {
      throw new CaseArchiveUnreadableError(businessNo, `文件 ${archive.sha256} 不可读`, { cause: error });
    }
    if (bytes.length !== archive.size || createHash('sha256').update(bytes).digest('hex') !== archive.sha256) {
      throw new CaseArchiveUnreadableError(businessNo, `文件 ${archive.sha256} 的内容与摘要不符`);
    }
    const document = JSON.parse(bytes.toString('utf8')) as CaseArchiveDocument;
    if (document.format !== CASE_ARCHIVE_FORMAT || document.record?.businessNo !== businessNo) {
      throw new CaseArchiveUnreadableError(businessNo, `文件 ${archive.sha256} 不是该办件的归档`);
    }
    if (this.cache.size >= CACHED_DOCUMENTS) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(archive.sha256, document);
    return document;
  }
}
