import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { FileNotFoundError } from './file-errors.js';
import {
  assertSha256,
  DigestMeter,
  stageAndCommit,
  type ByteRange,
  type FileStore,
  type StagedFile,
  type StageLimits,
  type StoredFile,
} from './file-store.js';

export interface S3Settings {
  endpoint: string | undefined;
  bucket: string;
  region: string;
  /** Both or neither: without them the SDK's default chain (instance role, environment) applies. */
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  forcePathStyle: boolean;
}

export function s3ClientConfig(settings: S3Settings): S3ClientConfig {
  return {
    endpoint: settings.endpoint,
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    credentials:
      settings.accessKeyId && settings.secretAccessKey ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } : undefined,
  };
}

export function createS3Client(settings: S3Settings): S3Client {
  return new S3Client(s3ClientConfig(settings));
}

/** S3's smallest part but the last; one part is held in memory while it is sent. */
const MIN_PART_BYTES = 5 * 1024 * 1024;

/**
 * Files at `sha256/<hex>` in one bucket. The digest is known only once the last
 * byte went by and S3 cannot rename, so bytes go to `tmp/<uuid>` first (one
 * PutObject when they fit in a part, else a multipart upload part by part, so a
 * 50 MiB scan never sits in memory) and the commit copies them to their address
 * and deletes the temporary key. A single upload "with checksum" would need the
 * digest before the bytes; and the checks read the temporary object, so a
 * refused file never appears under `sha256/`. CopyObject takes objects up to
 * 5 GB, far above FILE_MAX_BYTES. The bucket should abort incomplete multipart
 * uploads after a day (lifecycle rule) for a process killed mid-upload.
 */
export class S3FileStore implements FileStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    private readonly partBytes = MIN_PART_BYTES,
  ) {
    if (partBytes < MIN_PART_BYTES) throw new RangeError(`S3 parts are at least ${MIN_PART_BYTES} bytes`);
  }

  async stage(source: Readable, limits: StageLimits): Promise<StagedFile> {
    const tmpKey = `tmp/${randomUUID()}`;
    const meter = new DigestMeter(limits.maxBytes);
    const upload = new PartUpload(this.client, this.bucket, tmpKey, this.partBytes);
    let stored: StoredFile & { head: Buffer };
    let sending: Promise<void> | undefined;
    try {
      await pipeline(source, meter, (chunks: AsyncIterable<Buffer>) => (sending = upload.send(chunks)));
      stored = meter.result(limits);
    } catch (error) {
      // The pipeline fails as soon as a stream does; a part may still be on its way, and must land before it is dropped.
      await sending?.catch(() => undefined);
      await upload.abandon();
      throw error;
    }
    return {
      ...stored,
      read: (range) => this.read(tmpKey, range),
      commit: async () => {
        const key = addressOf(stored.sha256);
        const existed = await this.exists(key);
        if (!existed) await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: key, CopySource: `${this.bucket}/${tmpKey}` }));
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: tmpKey }));
        return { sha256: stored.sha256, size: stored.size, created: !existed };
      },
      discard: async () => {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: tmpKey }));
      },
    };
  }

  put(source: Readable, limits: StageLimits): Promise<StoredFile & { created: boolean }> {
    return stageAndCommit(this, source, limits);
  }

  async get(sha256: string, range?: ByteRange): Promise<Readable> {
    return this.read(addressOf(assertSha256(sha256)), range);
  }

  async stat(sha256: string): Promise<StoredFile | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: addressOf(assertSha256(sha256)) }));
      return { sha256, size: head.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error) || error instanceof FileNotFoundError) return undefined;
      throw error;
    }
  }

  async delete(sha256: string): Promise<boolean> {
    const key = addressOf(assertSha256(sha256));
    const existed = await this.exists(key);
    if (existed) await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    return existed;
  }

  async sweepStaged(before: Date): Promise<number> {
    let removed = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: 'tmp/', ContinuationToken: token }));
      const stale = (page.Contents ?? []).filter((object) => object.Key && object.LastModified && object.LastModified < before);
      if (stale.length) {
        await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: stale.map(({ Key }) => ({ Key })) } }));
      }
      removed += stale.length;
      token = page.NextContinuationToken;
    } while (token);
    return removed;
  }

  private async read(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      // In Node the SDK's body is an http.IncomingMessage.
      return object.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) throw new FileNotFoundError(key);
      throw error;
    }
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }
}

/** Sends a stream as one object: a single PutObject if it ends within the first part, else a multipart upload. */
class PartUpload {
  private uploadId: string | undefined;
  private readonly parts: CompletedPart[] = [];
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private sent = false;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly partBytes: number,
  ) {}

  async send(chunks: AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of chunks) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes >= this.partBytes) await this.flushPart();
    }
    if (this.uploadId === undefined) {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key, Body: this.take() }));
      this.sent = true;
      return;
    }
    if (this.pendingBytes > 0) await this.flushPart();
    await this.client.send(
      new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, MultipartUpload: { Parts: this.parts } }),
    );
    this.sent = true;
  }

  /** After a failure (the digest refused once all was sent, too): the object or the parts sent so far go. */
  async abandon(): Promise<void> {
    if (this.sent) {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key }));
      return;
    }
    if (this.uploadId === undefined) return;
    // Best effort: the lifecycle rule is the backstop, and the error that brought us here is the one to report.
    await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId })).catch(() => undefined);
  }

  private async flushPart(): Promise<void> {
    if (this.uploadId === undefined) {
      const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key }));
      this.uploadId = created.UploadId;
    }
    const PartNumber = this.parts.length + 1;
    const { ETag } = await this.client.send(
      new UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, PartNumber, Body: this.take() }),
    );
    this.parts.push({ ETag, PartNumber });
  }

  private take(): Buffer {
    const body = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return body;
  }
}

function addressOf(sha256: string): string {
  return `sha256/${sha256}`;
}

function isNotFound(error: unknown): boolean {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;
}
