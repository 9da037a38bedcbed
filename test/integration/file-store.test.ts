import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { FileStore as TusFileStore } from '@tus/file-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskFileStore } from '../../lib/files/disk.store.js';
import { acceptFile } from '../../lib/files/file-check.js';
import type { FileError } from '../../lib/files/file-errors.js';
import { readBounded, type FileStore } from '../../lib/files/file-store.js';
import { S3FileStore } from '../../lib/files/s3.store.js';
import { createFileStore, createTusDatastore } from '../../lib/files/store-factory.js';
import { TusS3Store } from '../../lib/files/tus-s3.store.js';
import { pdfWithPages, zip } from '../support/file-fixtures.js';
import { startTestS3, type TestS3 } from '../support/s3-server.js';

/** The same contract on both stores: the disk store in a temporary directory and the S3 store on a real s3rver. */
interface Subject {
  store: FileStore;
  /** Every object or file the store holds, temporary ones included. */
  listing(): Promise<string[]>;
  close(): Promise<void>;
}

const MIB = 1024 * 1024;
const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const chunked = (bytes: Buffer, size = 65_536) => Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
const read = async (stream: Readable) => readBounded(stream, 64 * MIB);

async function diskSubject(): Promise<Subject> {
  const directory = await mkdtemp(join(tmpdir(), 'tongban-files-'));
  return {
    store: new DiskFileStore(join(directory, 'data')),
    async listing() {
      const entries = await readdir(directory, { recursive: true, withFileTypes: true }).catch(() => []);
      return entries.filter((entry) => entry.isFile()).map((entry) => relative(directory, join(entry.parentPath, entry.name)));
    },
    close: () => rm(directory, { recursive: true, force: true }),
  };
}

async function s3Subject(): Promise<Subject> {
  const s3: TestS3 = await startTestS3();
  return { store: new S3FileStore(s3.client, s3.settings.bucket), listing: () => s3.keys(), close: () => s3.close() };
}

describe.each([
  ['disk', diskSubject],
  ['S3', s3Subject],
])('the %s file store', (name, make) => {
  let subject: Subject;
  let store: FileStore;

  beforeAll(async () => {
    subject = await make();
    store = subject.store;
  });

  afterAll(async () => {
    await subject.close();
  });

  it('stores bytes under their SHA-256, reads them back whole and by range, and deletes them', async () => {
    const bytes = randomBytes(100_000);
    const sha256 = sha256Of(bytes);
    expect(await store.put(Readable.from([bytes.subarray(0, 30_000), bytes.subarray(30_000)]), { maxBytes: MIB })).toEqual({
      sha256,
      size: bytes.length,
      created: true,
    });
    expect(await subject.listing()).toEqual([name === 'disk' ? `data/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}` : `sha256/${sha256}`]);
    expect(await store.stat(sha256)).toEqual({ sha256, size: bytes.length });
    expect((await read(await store.get(sha256))).equals(bytes)).toBe(true);
    expect((await read(await store.get(sha256, { start: 10, end: 19 }))).equals(bytes.subarray(10, 20))).toBe(true);

    expect(await store.delete(sha256)).toBe(true);
    expect(await store.delete(sha256)).toBe(false);
    expect(await store.stat(sha256)).toBeUndefined();
    await expect(store.get(sha256)).rejects.toMatchObject({ code: 'FILE.NOT_FOUND' });
    expect(await subject.listing()).toEqual([]);
  });

  it('keeps the same content once', async () => {
    const bytes = randomBytes(2_000);
    expect((await store.put(Readable.from([bytes]), { maxBytes: MIB })).created).toBe(true);
    expect((await store.put(Readable.from([bytes]), { maxBytes: MIB })).created).toBe(false);
    expect(await subject.listing()).toHaveLength(1);
    await store.delete(sha256Of(bytes));
  });

  it('streams a file larger than one S3 part', async () => {
    const bytes = randomBytes(12 * MIB + 123);
    const stored = await store.put(Readable.from(chunked(bytes)), { maxBytes: 20 * MIB });
    expect(stored).toEqual({ sha256: sha256Of(bytes), size: bytes.length, created: true });
    expect(sha256Of(await read(await store.get(stored.sha256)))).toBe(stored.sha256);
    await store.delete(stored.sha256);
  });

  it('leaves nothing behind a refused or discarded file', async () => {
    // In 64 KiB chunks, so that the S3 store has sent a first part when the limit cuts in.
    await expect(store.put(Readable.from(chunked(randomBytes(7 * MIB))), { maxBytes: 6 * MIB })).rejects.toMatchObject({ code: 'FILE.TOO_LARGE' });
    await expect(store.put(Readable.from([randomBytes(1000)]), { maxBytes: MIB, expectedSha256: '0'.repeat(64) })).rejects.toMatchObject({
      code: 'FILE.DIGEST_MISMATCH',
    });
    const staged = await store.stage(Readable.from([randomBytes(1000)]), { maxBytes: MIB });
    expect((await read(await staged.read({ start: 0, end: 9 }))).length).toBe(10);
    await staged.discard();
    expect(await subject.listing()).toEqual([]);
  });

  it('refuses what the file checks refuse, storing nothing', async () => {
    const policy = { maxFileBytes: MIB, caseMaxBytes: 2 * MIB, pdfMaxPages: 2 };
    for (const [bytes, code] of [
      [zip({ 'a.txt': 'a' }), 'FILE.TYPE_NOT_ALLOWED'],
      [await pdfWithPages(3), 'FILE.TOO_MANY_PAGES'],
      [randomBytes(MIB + 1), 'FILE.TOO_LARGE'],
    ] as const) {
      const error = await acceptFile(store, Readable.from([bytes]), policy, { caseHeldBytes: 0 }).catch((caught: FileError) => caught);
      expect(error).toMatchObject({ code });
    }
    expect(await subject.listing()).toEqual([]);
    const accepted = await acceptFile(store, Readable.from([await pdfWithPages(2)]), policy, { caseHeldBytes: 0 });
    expect(accepted).toMatchObject({ type: 'PDF', pages: 2, created: true });
    expect(await subject.listing()).toHaveLength(1);
    await store.delete(accepted.sha256);
  });

  it('sweeps bytes a crash left staged, once they are older than asked', async () => {
    await store.stage(Readable.from([randomBytes(1000)]), { maxBytes: MIB });
    expect(await subject.listing()).toHaveLength(1);
    expect(await store.sweepStaged(new Date(Date.now() - 60_000))).toBe(0);
    expect(await subject.listing()).toHaveLength(1);
    // s3rver's LastModified has whole seconds.
    expect(await store.sweepStaged(new Date(Date.now() + 2_000))).toBe(1);
    expect(await subject.listing()).toEqual([]);
  });

  it('names no path or key outside its addresses', async () => {
    await expect(store.get('../../etc/passwd')).rejects.toMatchObject({ code: 'FILE.NOT_FOUND' });
    expect(await store.stat('tmp/x')).toBeUndefined();
    await expect(store.delete('A'.repeat(64))).rejects.toMatchObject({ code: 'FILE.NOT_FOUND' });
  });
});

describe('the store factories', () => {
  it('build what the configuration names', async () => {
    const s3 = await startTestS3();
    try {
      const fromConfig = createFileStore({ kind: 's3', ...s3.settings });
      const stored = await fromConfig.put(Readable.from([Buffer.from('scan')]), { maxBytes: MIB });
      expect(await s3.keys()).toEqual([`sha256/${stored.sha256}`]);
      const tusS3 = createTusDatastore({ kind: 's3', ...s3.settings }, 60_000);
      expect(tusS3).toBeInstanceOf(TusS3Store);
      expect(tusS3.getExpiration()).toBe(60_000);
    } finally {
      await s3.close();
    }
    const directory = await mkdtemp(join(tmpdir(), 'tongban-factory-'));
    const disk = createFileStore({ kind: 'disk', directory });
    expect(disk).toBeInstanceOf(DiskFileStore);
    expect((disk as DiskFileStore).directory).toBe(directory);
    // @tus/file-store creates its directory in its constructor.
    const tusDisk = createTusDatastore({ kind: 'disk', directory }, 1000);
    expect(tusDisk).toBeInstanceOf(TusFileStore);
    expect((tusDisk as TusFileStore).directory).toBe(join(directory, 'uploads'));
    await expect.poll(() => existsSync(join(directory, 'uploads'))).toBe(true);
    await rm(directory, { recursive: true, force: true });
  });
});

describe('the disk store streams', () => {
  it('puts 200 MB with the process RSS growing by less than 60 MB', async () => {
    const subject = await diskSubject();
    try {
      const chunk = randomBytes(64 * 1024);
      const total = 200 * 1000 * 1000;
      let sent = 0;
      const source = new Readable({
        read() {
          if (sent >= total) return this.push(null);
          sent += chunk.length;
          this.push(Buffer.from(chunk));
        },
      });
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
      const stored = await subject.store.put(source, { maxBytes: 250 * 1000 * 1000 });
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      expect(stored.size).toBe(sent);
      expect(peak - before).toBeLessThan(60 * MIB);
      console.info(`200 MB through the disk store: RSS grew by ${((peak - before) / MIB).toFixed(1)} MiB`);
    } finally {
      await subject.close();
    }
  });
});
