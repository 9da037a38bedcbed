import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileStore } from '../../lib/files/file-store.js';
import { createFileStore, createTusDatastore } from '../../lib/files/store-factory.js';
import { cleanUpExpiredUploads, createTusUploads, type UploadAuthorization } from '../../lib/files/tus-uploads.js';
import { UploadRecordStore } from '../../lib/files/upload-record.store.js';
import { createRedis, deleteKeysWithPrefix } from '../../lib/redis.js';
import { jpeg, pdfWithPages, png, zip } from '../support/file-fixtures.js';
import { startTestS3, type TestS3 } from '../support/s3-server.js';
import { testRedisUrl } from '../support/stack.js';

/**
 * Real tus uploads over HTTP with fetch, into each FileStore, the uploads in progress where
 * the configuration keeps them without a staging directory: @tus/file-store beside the disk
 * store, @tus/s3-store in the bucket (on s3rver, with the multipart calls it lacks added by
 * test/support/s3-server.ts).
 */
const REDIS_URL = testRedisUrl();
const PATH = '/files/uploads';
const POLICY = { maxFileBytes: 4 * 1024 * 1024, caseMaxBytes: 16 * 1024 * 1024, pdfMaxPages: 20 };
const STAFF = { userId: 'staff-1', windowId: 'W-500000-24' };
const PARTITION = '{L03}';
const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const TUS = { 'tus-resumable': '1.0.0' };

/** The test's token is `<user>@<window>`; `@W-NO-ROLE` stands for a caller whose role may not upload. */
function authorize(req: IncomingMessage): UploadAuthorization {
  const token = /^Bearer (.+)@(.+)$/.exec(req.headers.authorization ?? '');
  if (!token) return { deny: 401, code: 'AUTH.UNAUTHENTICATED', message: 'a bearer token is required' };
  if (token[2] === 'W-NO-ROLE') return { deny: 403, code: 'AUTH.FORBIDDEN', message: 'window staff only' };
  return { allow: { userId: token[1]!, windowId: token[2]!, partition: PARTITION } };
}

const bearer = (caller = STAFF) => ({ authorization: `Bearer ${caller.userId}@${caller.windowId}` });
const metadata = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');

async function files(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(directory, join(entry.parentPath, entry.name)));
}

interface Endpoint {
  base: string;
  close(): Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: import('node:http').ServerResponse) => Promise<void>): Promise<Endpoint> {
  const server: HttpServer = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(['disk', 'S3'] as const)('tus uploads into the %s file store', (kind) => {
  const recordPrefix = `test:tus:${randomUUID()}:`;
  let directory: string;
  let s3: TestS3 | undefined;
  let store: FileStore;
  let storedFiles: () => Promise<string[]>;
  /** What uploads in progress hold: files under `uploads/`, or in the bucket every key but the store's and each multipart upload. */
  let inProgress: () => Promise<string[]>;
  let redis: Redis;
  let records: UploadRecordStore;
  let endpoint: Endpoint;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'tongban-tus-'));
    if (kind === 'S3') {
      const server = await startTestS3();
      s3 = server;
      store = createFileStore({ kind: 's3', ...server.settings });
      storedFiles = async () => (await server.keys()).filter((key) => key.startsWith('sha256/'));
      inProgress = async () => [...(await server.keys()).filter((key) => !key.startsWith('sha256/')), ...(await server.multipartUploads())];
    } else {
      // As configured: the finished files and the tus uploads share the data directory.
      store = createFileStore({ kind: 'disk', directory });
      storedFiles = async () => (await files(directory)).filter((path) => !path.startsWith('uploads/'));
      inProgress = () => files(join(directory, 'uploads'));
    }
    const settings = kind === 'S3' ? { kind: 's3' as const, ...s3!.settings } : { kind: 'disk' as const, directory };
    redis = createRedis(REDIS_URL, '');
    records = new UploadRecordStore(redis, recordPrefix);
    const uploads = createTusUploads({
      path: PATH,
      datastore: createTusDatastore(settings, 60_000),
      files: store,
      policy: POLICY,
      records,
      recordTtlMs: 60_000,
      authorize,
      // A case named FULL holds all it may.
      caseHeldBytes: async (fields) => (fields.businessNo === 'FULL' ? POLICY.caseMaxBytes : 0),
    });
    endpoint = await listen(uploads.handle);
  });

  afterAll(async () => {
    await endpoint.close();
    redis.disconnect();
    await deleteKeysWithPrefix(REDIS_URL, recordPrefix);
    await s3?.close();
    await rm(directory, { recursive: true, force: true });
  });

  async function create(length: number, fields: Record<string, string>, caller = STAFF): Promise<{ url: string; id: string }> {
    const response = await fetch(`${endpoint.base}${PATH}`, {
      method: 'POST',
      headers: { ...TUS, ...bearer(caller), 'upload-length': String(length), ...(Object.keys(fields).length ? { 'upload-metadata': metadata(fields) } : {}) },
    });
    expect(response.status).toBe(201);
    const location = response.headers.get('location')!;
    return { url: new URL(location, endpoint.base).href, id: location.split('/').pop()! };
  }

  const patch = (url: string, offset: number, body: Buffer, caller = STAFF) =>
    fetch(url, {
      method: 'PATCH',
      headers: { ...TUS, ...bearer(caller), 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
      body: new Uint8Array(body),
    });

  const head = (url: string, caller = STAFF) => fetch(url, { method: 'HEAD', headers: { ...TUS, ...bearer(caller) } });

  it('takes a PDF in two chunks, stores it under its digest and lets it be claimed once', async () => {
    const pdf = await pdfWithPages(3);
    const { url, id } = await create(pdf.length, { filename: '身份证件.pdf', filetype: 'application/pdf' });
    const half = Math.floor(pdf.length / 2);
    const first = await patch(url, 0, pdf.subarray(0, half));
    expect(first.status).toBe(204);
    expect(first.headers.get('upload-offset')).toBe(String(half));
    const last = await patch(url, half, pdf.subarray(half));
    expect(last.status).toBe(204);
    expect(last.headers.get('tongban-file-sha256')).toBe(sha256Of(pdf));

    expect(await inProgress()).toEqual([]);
    expect((await head(url)).status).toBe(404);
    const record = (await records.find(id, PARTITION))!;
    expect(record).toMatchObject({ uploadId: id, sha256: sha256Of(pdf), size: pdf.length, type: 'PDF', pages: 3, ...{ uploadedBy: 'staff-1', windowId: STAFF.windowId }, filename: '身份证件.pdf' });
    const chunks: Buffer[] = [];
    for await (const chunk of await store.get(record.sha256)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(pdf)).toBe(true);
  });

  it('resumes after an interrupted PATCH from the offset HEAD reports', async () => {
    const scan = Buffer.concat([jpeg().subarray(0, 20), randomBytes(2 * 1024 * 1024), Buffer.from([0xff, 0xd9])]);
    const { url, id } = await create(scan.length, { filename: 'scan.jpg' });
    const abort = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(scan.subarray(0, 512 * 1024));
        setTimeout(() => abort.abort(), 300);
      },
    });
    const interrupted = fetch(url, {
      method: 'PATCH',
      headers: { ...TUS, ...bearer(), 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body,
      duplex: 'half',
      signal: abort.signal,
    } as RequestInit);
    await expect(interrupted).rejects.toThrow();

    let offset = 0;
    await expect.poll(async () => (offset = Number((await head(url)).headers.get('upload-offset'))), { timeout: 5_000 }).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(512 * 1024);
    expect((await patch(url, offset, scan.subarray(offset))).status).toBe(204);
    expect(await records.find(id, PARTITION)).toMatchObject({ sha256: sha256Of(scan), size: scan.length, type: 'JPEG' });
  });

  it('takes the type from the bytes: a PNG named .pdf is a PNG', async () => {
    const image = png(16, 16);
    const { url, id } = await create(image.length, { filename: 'scan.pdf', filetype: 'application/pdf' });
    const done = await patch(url, 0, image);
    expect(done.headers.get('tongban-file-type')).toBe('PNG');
    expect(await records.find(id, PARTITION)).toMatchObject({ type: 'PNG', mime: 'image/png', pages: null, filename: 'scan.pdf' });
  });

  it('refuses a zip with its code and keeps nothing of it', async () => {
    const before = await storedFiles();
    const archive = zip({ 'scan.pdf': await pdfWithPages(1) });
    const { url, id } = await create(archive.length, { filename: 'scans.zip' });
    const refused = await patch(url, 0, archive);
    expect(refused.status).toBe(415);
    expect(await refused.json()).toMatchObject({ code: 'FILE.TYPE_NOT_ALLOWED' });
    expect(await inProgress()).toEqual([]);
    expect(await storedFiles()).toEqual(before);
    expect(await records.find(id, PARTITION)).toBeNull();
  });

  it('refuses a file for a case that has no room left', async () => {
    const before = await storedFiles();
    const image = png(6, 6);
    const { url } = await create(image.length, { businessNo: 'FULL' });
    const refused = await patch(url, 0, image);
    expect(refused.status).toBe(413);
    expect(await refused.json()).toMatchObject({ code: 'FILE.CASE_LIMIT_EXCEEDED' });
    expect(await storedFiles()).toEqual(before);
  });

  it('refuses an upload over the size limit at creation', async () => {
    const response = await fetch(`${endpoint.base}${PATH}`, { method: 'POST', headers: { ...TUS, ...bearer(), 'upload-length': String(POLICY.maxFileBytes + 1) } });
    expect(response.status).toBe(413);
  });

  it('keeps the record for binding under a key only an upload id names', async () => {
    const image = png(5, 5);
    const { url, id } = await create(image.length, {});
    await patch(url, 0, image);
    expect(await records.find(id, PARTITION)).toMatchObject({ uploadId: id, windowId: STAFF.windowId, type: 'PNG' });
    expect(records.recordKey(id, PARTITION)).toBe(`${recordPrefix}${PARTITION}:record:${id}`);
    // Another partition's key names no upload: the record waits only in the uploader's window's partition.
    expect(await records.find(id, '{L04}')).toBeNull();
    expect(await records.find(id, 'L03')).toBeNull();
    expect(await records.find('../x', PARTITION)).toBeNull();
    expect(() => records.recordKey('../x', PARTITION)).toThrow(expect.objectContaining({ code: 'FILE.NOT_FOUND' }));
  });

  it('answers 401 without a token, 403 to a role that may not upload and to someone else resuming', async () => {
    const anonymous = await fetch(`${endpoint.base}${PATH}`, { method: 'POST', headers: { ...TUS, 'upload-length': '10' } });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
    const noRole = await fetch(`${endpoint.base}${PATH}`, { method: 'POST', headers: { ...TUS, ...bearer({ userId: 'x', windowId: 'W-NO-ROLE' }), 'upload-length': '10' } });
    expect(noRole.status).toBe(403);

    const { url } = await create(10, {});
    const other = { userId: 'staff-2', windowId: STAFF.windowId };
    expect((await head(url, other)).status).toBe(403);
    const hijack = await patch(url, 0, Buffer.alloc(10), other);
    expect(hijack.status).toBe(403);
    expect(await hijack.json()).toMatchObject({ code: 'AUTH.FORBIDDEN' });
    expect((await fetch(url, { headers: bearer() })).status).toBe(405);
    expect((await fetch(url, { method: 'DELETE', headers: { ...TUS, ...bearer() } })).status).toBe(204);
  });
});

describe.each(['disk', 'S3'] as const)('abandoned tus uploads in the %s store', (kind) => {
  it('are swept with what they received once they expire, and so are complete ones a crash left unchecked', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'tongban-tus-sweep-'));
    const s3 = kind === 'S3' ? await startTestS3() : undefined;
    const settings = s3 ? { kind: 's3' as const, ...s3.settings } : { kind: 'disk' as const, directory };
    const prefix = `test:tus-sweep:${randomUUID()}:`;
    const redis = createRedis(REDIS_URL, '');
    const records = new UploadRecordStore(redis, prefix);
    const expiryMs = 60_000;
    const datastore = createTusDatastore(settings, expiryMs);
    const fileStore = createFileStore(settings);
    const uploads = createTusUploads({ path: PATH, datastore, files: fileStore, policy: POLICY, records, recordTtlMs: 60_000, authorize });
    const endpoint = await listen(uploads.handle);
    // Disk: a data file and a .json each. S3: the half-way one's .info, the 400 bytes in its .part (shorter
    // than a part) and its multipart upload; the unchecked one's assembled object and .info.
    const uploadFiles = s3 ? async () => [...(await s3.keys()), ...(await s3.multipartUploads())] : () => files(join(directory, 'uploads'));
    const held = { disk: 4, S3: 5 }[kind];
    const start = async (length: number) => {
      const created = await fetch(`${endpoint.base}${PATH}`, { method: 'POST', headers: { ...TUS, ...bearer(), 'upload-length': String(length) } });
      const location = created.headers.get('location')!;
      return { url: new URL(location, endpoint.base).href, id: location.split('/').pop()! };
    };
    try {
      const halfWay = await start(1000);
      const half = await fetch(halfWay.url, {
        method: 'PATCH',
        headers: { ...TUS, ...bearer(), 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
        body: new Uint8Array(randomBytes(400)),
      });
      expect(half.headers.get('upload-expires')).not.toBeNull();
      // All bytes written, then the process died before onUploadFinish: what a crash leaves.
      const unchecked = await start(500);
      await datastore.write(Readable.from([randomBytes(500)]), unchecked.id, 0);
      const terminated = await start(10);
      expect((await fetch(terminated.url, { method: 'DELETE', headers: { ...TUS, ...bearer() } })).status).toBe(204);
      expect(await uploadFiles()).toHaveLength(held);

      expect(await cleanUpExpiredUploads(datastore, fileStore, records, expiryMs)).toEqual({ uploads: 0, staged: 0 });
      expect(await uploadFiles()).toHaveLength(held);
      // The sweep's clock past the expiry, rather than the test waiting it out.
      expect(await cleanUpExpiredUploads(datastore, fileStore, records, expiryMs, new Date(Date.now() + expiryMs + 1000))).toEqual({ uploads: 2, staged: 0 });
      expect(await uploadFiles()).toEqual([]);
      expect(await records.openedBefore(new Date(Date.now() + 60_000))).toEqual([]);
      expect((await fetch(halfWay.url, { method: 'HEAD', headers: { ...TUS, ...bearer() } })).status).toBe(404);
    } finally {
      await endpoint.close();
      redis.disconnect();
      await deleteKeysWithPrefix(REDIS_URL, prefix);
      await s3?.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
