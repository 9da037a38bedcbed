import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { DigestMismatchError, FileNotFoundError, FileTooLargeError } from './file-errors.js';

/** A stored file is known by the SHA-256 of its bytes: the same scan uploaded twice is one object. */
export interface StoredFile {
  sha256: string;
  size: number;
}

/** Inclusive byte offsets, as in an HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface StageLimits {
  maxBytes: number;
  /** When the sender announced the digest (a platform transfer), bytes that hash otherwise are refused. */
  expectedSha256?: string;
}

/**
 * Bytes written to a temporary object, hashed on the way, not yet at their
 * address: checks read them here, and a refused file is discarded without ever
 * having been visible under `sha256/`.
 */
export interface StagedFile extends StoredFile {
  /** The first bytes (up to HEAD_BYTES), enough to sniff the type. */
  head: Buffer;
  read(range?: ByteRange): Promise<Readable>;
  /** Moves the bytes to their address; `created` is false when that content was already stored. */
  commit(): Promise<StoredFile & { created: boolean }>;
  discard(): Promise<void>;
}

export interface FileStore {
  stage(source: Readable, limits: StageLimits): Promise<StagedFile>;
  put(source: Readable, limits: StageLimits): Promise<StoredFile & { created: boolean }>;
  /** @throws FileNotFoundError */
  get(sha256: string, range?: ByteRange): Promise<Readable>;
  stat(sha256: string): Promise<StoredFile | undefined>;
  /** Whether there was such a file. */
  delete(sha256: string): Promise<boolean>;
  /** Removes staged bytes older than `before` that a crash left neither committed nor discarded; how many. */
  sweepStaged(before: Date): Promise<number>;
}

/** file-type reads at most this much to decide; it also holds a zip's first local header. */
export const HEAD_BYTES = 4100;

const SHA256 = /^[0-9a-f]{64}$/;

/** Addresses come from callers (a GraphQL argument, a URL): anything else than 64 hex digits names no file and no path. */
export function assertSha256(sha256: string): string {
  if (!SHA256.test(sha256)) throw new FileNotFoundError(`with the digest ${JSON.stringify(sha256.slice(0, 80))}`);
  return sha256;
}

/** Hashes, counts and keeps the head of what passes through; fails the stream as soon as it exceeds `maxBytes`. */
export class DigestMeter extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private readonly headChunks: Buffer[] = [];
  private headLength = 0;
  size = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      callback(new FileTooLargeError(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    if (this.headLength < HEAD_BYTES) {
      const part = chunk.subarray(0, HEAD_BYTES - this.headLength);
      this.headChunks.push(part);
      this.headLength += part.length;
    }
    callback(null, chunk);
  }

  /** After the stream ended: its digest, checked against the announced one. */
  result(limits: StageLimits): StoredFile & { head: Buffer } {
    const sha256 = this.hash.digest('hex');
    if (limits.expectedSha256 !== undefined && limits.expectedSha256.toLowerCase() !== sha256) {
      throw new DigestMismatchError(limits.expectedSha256, sha256);
    }
    return { sha256, size: this.size, head: Buffer.concat(this.headChunks) };
  }
}

/** Stage, then commit; a file refused while staging leaves nothing. */
export async function stageAndCommit(store: FileStore, source: Readable, limits: StageLimits): Promise<StoredFile & { created: boolean }> {
  const staged = await store.stage(source, limits);
  try {
    return await staged.commit();
  } catch (error) {
    await staged.discard();
    throw error;
  }
}

/** Reads a stream whole, refusing more than `maxBytes` (a zip directory, a PDF for its page count). */
export async function readBounded(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > maxBytes) {
      stream.destroy();
      throw new FileTooLargeError(maxBytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}
