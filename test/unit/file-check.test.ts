import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskFileStore } from '../../lib/files/disk.store.js';
import { acceptFile, assertCaseRoom, type FilePolicy } from '../../lib/files/file-check.js';
import type { FileError } from '../../lib/files/file-errors.js';
import { encryptedPdf, exe, jpeg, objectStreamBomb, ofd, pdfWithPages, png, zip } from '../support/file-fixtures.js';

const POLICY: FilePolicy = { maxFileBytes: 1024 * 1024, caseMaxBytes: 4 * 1024 * 1024, pdfMaxPages: 5 };

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

describe('file checks', () => {
  let directory: string;
  let store: DiskFileStore;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'tongban-file-check-'));
    store = new DiskFileStore(directory);
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const accept = (bytes: Buffer, policy = POLICY, caseHeldBytes = 0, expectedSha256?: string) =>
    acceptFile(store, Readable.from([bytes]), policy, { caseHeldBytes, expectedSha256 });

  async function refusal(bytes: Buffer, policy = POLICY, caseHeldBytes = 0, expectedSha256?: string): Promise<FileError> {
    const before = await filesUnder(directory);
    const error = await accept(bytes, policy, caseHeldBytes, expectedSha256).then(
      () => expect.unreachable('the file was accepted'),
      (caught: FileError) => caught,
    );
    expect(await filesUnder(directory)).toEqual(before);
    return error;
  }

  it('accepts a PDF, counts its pages and stores it under its digest', async () => {
    const bytes = await pdfWithPages(3);
    const accepted = await accept(bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(accepted).toEqual({ sha256, size: bytes.length, type: 'PDF', mime: 'application/pdf', pages: 3, created: true });
    expect(await filesUnder(directory)).toEqual([sha256]);
  });

  it('accepts PNG, JPEG and OFD by their bytes', async () => {
    expect(await accept(png())).toMatchObject({ type: 'PNG', mime: 'image/png', pages: undefined });
    expect(await accept(jpeg())).toMatchObject({ type: 'JPEG', mime: 'image/jpeg' });
    expect(await accept(ofd())).toMatchObject({ type: 'OFD', mime: 'application/ofd' });
  });

  it('finds OFD.xml in the central directory beyond the sniffed head', async () => {
    const scan = zip({ 'Doc_0/Res/image_0.jpg': randomBytes(200_000), 'OFD.xml': '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>' });
    expect(await accept(scan)).toMatchObject({ type: 'OFD' });
    const notOfd = zip({ 'Doc_0/Res/image_0.jpg': randomBytes(200_000), 'ofd.xml.bak': 'x' });
    expect((await refusal(notOfd)).code).toBe('FILE.TYPE_NOT_ALLOWED');
    expect((await refusal(scan.subarray(0, scan.length - 10))).code).toBe('FILE.TYPE_NOT_ALLOWED');
  });

  it('refuses an executable, a plain zip and a zip with OFD.xml outside its root', async () => {
    expect((await refusal(exe())).code).toBe('FILE.TYPE_NOT_ALLOWED');
    const plain = await refusal(zip({ 'readme.txt': 'hello' }));
    expect(plain.code).toBe('FILE.TYPE_NOT_ALLOWED');
    expect(plain.message).toContain('zip');
    expect((await refusal(zip({ 'Doc_0/OFD.xml': '<x/>' }))).code).toBe('FILE.TYPE_NOT_ALLOWED');
    expect((await refusal(Buffer.from('just some text, not a scan'))).code).toBe('FILE.TYPE_NOT_ALLOWED');
  });

  it('refuses encrypted, truncated and page-less PDFs', async () => {
    const encrypted = await refusal(await encryptedPdf());
    expect(encrypted.code).toBe('FILE.PDF_UNREADABLE');
    expect(encrypted.message).toContain('encrypted');
    const whole = await pdfWithPages(2);
    expect((await refusal(whole.subarray(0, Math.floor(whole.length / 2)))).code).toBe('FILE.PDF_UNREADABLE');
    expect((await refusal(Buffer.from('%PDF-1.7\nnothing else'))).code).toBe('FILE.PDF_UNREADABLE');
  });

  it('refuses a PDF whose object streams would inflate to gigabytes, before pdf-lib inflates them, however it spells them', async () => {
    const rss = process.memoryUsage().rss;
    // About 390 KB on the wire; pdf-lib loaded it in 2.7 s and 440 MiB, and ten times as much in ten times the memory.
    expect(await refusal(objectStreamBomb(400 * 2 ** 20))).toMatchObject({ code: 'FILE.PDF_UNREADABLE', status: 422 });
    expect((await refusal(objectStreamBomb(400 * 2 ** 20, { typeName: '/Obj#53tm' }))).code).toBe('FILE.PDF_UNREADABLE');
    expect((await refusal(objectStreamBomb(1024, { filter: '/LZWDecode' }))).code).toBe('FILE.PDF_UNREADABLE');
    expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 2 ** 20);
    // Making the 400 MiB bomb (deflating it) is what takes time here, seconds on a busy machine; refusing it takes milliseconds.
  }, 30_000);

  it('reads an ordinary object stream, compressed or not', async () => {
    // pdf-lib writes its own documents with object streams.
    expect((await accept(await pdfWithPages(2))).pages).toBe(2);
    expect((await accept(objectStreamBomb(64 * 1024))).type).toBe('PDF');
  });

  it('refuses a PDF over the page limit', async () => {
    const error = await refusal(await pdfWithPages(6));
    expect(error).toMatchObject({ code: 'FILE.TOO_MANY_PAGES', pages: 6, maxPages: 5, status: 422 });
    expect((await accept(await pdfWithPages(5))).pages).toBe(5);
  });

  it('refuses a file over the per-file limit and one the case has no room for', async () => {
    const bytes = await pdfWithPages(1);
    expect(await refusal(bytes, { ...POLICY, maxFileBytes: bytes.length - 1 })).toMatchObject({ code: 'FILE.TOO_LARGE', status: 413 });
    expect((await refusal(bytes, POLICY, POLICY.caseMaxBytes - bytes.length + 1)).code).toBe('FILE.CASE_LIMIT_EXCEEDED');
    expect((await refusal(bytes, POLICY, POLICY.caseMaxBytes)).code).toBe('FILE.CASE_LIMIT_EXCEEDED');
    expect((await accept(bytes, POLICY, POLICY.caseMaxBytes - bytes.length)).size).toBe(bytes.length);
    expect(() => assertCaseRoom(POLICY.caseMaxBytes - 10, 11, POLICY)).toThrow(expect.objectContaining({ code: 'FILE.CASE_LIMIT_EXCEEDED' }));
    expect(() => assertCaseRoom(POLICY.caseMaxBytes - 10, 10, POLICY)).not.toThrow();
  });

  it('refuses bytes whose digest is not the one announced', async () => {
    const bytes = png();
    const error = await refusal(bytes, POLICY, 0, 'f'.repeat(64));
    expect(error).toMatchObject({ code: 'FILE.DIGEST_MISMATCH', expected: 'f'.repeat(64) });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect((await accept(bytes, POLICY, 0, sha256.toUpperCase())).sha256).toBe(sha256);
  });

  it('stores the same content once', async () => {
    const bytes = png(8, 8);
    expect((await accept(bytes)).created).toBe(true);
    expect((await accept(bytes)).created).toBe(false);
    expect(await filesUnder(directory)).toHaveLength(1);
  });
});
