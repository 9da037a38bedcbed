import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

/**
 * Files under a data directory as `ab/cd/<sha256>`: two levels of 256 keep any
 * directory small. Temporary files live in `tmp/` of the same directory, so the
 * move to the address is a rename on one file system: atomic, and a reader
 * never sees half a file.
 */
export class DiskFileStore implements FileStore {
  private readonly tmpDir: string;

  constructor(readonly directory: string) {
    this.tmpDir = join(directory, 'tmp');
  }

  async stage(source: Readable, limits: StageLimits): Promise<StagedFile> {
    await mkdir(this.tmpDir, { recursive: true });
    const tmp = join(this.tmpDir, randomUUID());
    const meter = new DigestMeter(limits.maxBytes);
    const sink = createWriteStream(tmp, { flags: 'wx' });
    // Open before the bytes flow: a stream still opening its file when a refusal's cleanup ran would create it afterwards.
    await once(sink, 'ready');
    let stored: StoredFile & { head: Buffer };
    try {
      await pipeline(source, meter, sink);
      stored = meter.result(limits);
      await syncFile(tmp);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    return {
      ...stored,
      read: async (range) => createReadStream(tmp, range),
      commit: async () => {
        const target = this.pathOf(stored.sha256);
        await mkdir(dirname(target), { recursive: true });
        const existed = await exists(target);
        // Over an existing address the rename replaces identical bytes; readers keep the inode they opened.
        await rename(tmp, target);
        return { sha256: stored.sha256, size: stored.size, created: !existed };
      },
      discard: () => rm(tmp, { force: true }),
    };
  }

  put(source: Readable, limits: StageLimits): Promise<StoredFile & { created: boolean }> {
    return stageAndCommit(this, source, limits);
  }

  async get(sha256: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(assertSha256(sha256));
    if (!(await exists(path))) throw new FileNotFoundError(sha256);
    return createReadStream(path, range);
  }

  async stat(sha256: string): Promise<StoredFile | undefined> {
    try {
      const info = await stat(this.pathOf(assertSha256(sha256)));
      return { sha256, size: info.size };
    } catch (error) {
      if (isMissing(error) || error instanceof FileNotFoundError) return undefined;
      throw error;
    }
  }

  async delete(sha256: string): Promise<boolean> {
    const path = this.pathOf(assertSha256(sha256));
    const existed = await exists(path);
    await rm(path, { force: true });
    return existed;
  }

  async sweepStaged(before: Date): Promise<number> {
    const names = await readdir(this.tmpDir).catch((error: unknown) => {
      if (isMissing(error)) return [];
      throw error;
    });
    let removed = 0;
    for (const name of names) {
      const path = join(this.tmpDir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && info.mtime < before) {
        await rm(path, { force: true });
        removed++;
      }
    }
    return removed;
  }

  private pathOf(sha256: string): string {
    return join(this.directory, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }
}

/** A file renamed into place before its bytes reach the disk can come back empty after a power cut. */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}
