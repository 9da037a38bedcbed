import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { workerFileDeps } from '../../jobs/processors.js';
import { uploadSweepProcessor } from '../../jobs/upload-sweep.processor.js';
import { createFileStore } from '../../lib/files/store-factory.js';
import { application, OFFICE_HOURS } from '../support/process.kit.js';
import { startTestS3, type TestS3 } from '../support/s3-server.js';
import { scannedPdf, tusClient } from '../support/scans.kit.js';
import { staffAt, startTestStack, type TestStack } from '../support/stack.js';

const ITEM = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const RECEIVING = staffAt('W-500000-01');
const MIB = 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * Scans over tus through the gateway with FILE_STORE=s3 and no staging directory: the uploads
 * in progress live in the bucket through @tus/s3-store (its multipart upload, `.info` and
 * `.part` keys), on a real S3-speaking server (s3rver, with the multipart calls it lacks added
 * by test/support/s3-server.ts). What a hall on a shaky link does: send part of a scan, lose
 * the answer, ask the offset, send the rest; and give up half way.
 */
describe('scans uploaded into the S3 store without a staging directory', () => {
  let stack: TestStack;
  let s3: TestS3;
  let client: ReturnType<typeof tusClient>;

  beforeAll(async () => {
    s3 = await startTestS3();
    stack = await startTestStack({
      now: () => OFFICE_HOURS,
      env: s3.env,
    });
    expect(stack.config.files.uploadStagingDir).toBeUndefined();
    client = tusClient(stack.gateway.url, await stack.token(RECEIVING));
  });

  afterAll(async () => {
    await stack?.close();
    await s3?.close();
  });

  const head = async (url: string) => fetch(url, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${await stack.token(RECEIVING)}` } });
  const uploadKeys = async () => (await s3.keys()).filter((key) => !key.startsWith('sha256/'));

  it('resumes a scan from the offset HEAD reports, binds it, and keeps only the file, under its digest', async () => {
    const { record } = await stack.workflow.receiveApplication(application(ITEM, RECEIVING.windowId!, 's3 resumed scan'), 'test');
    // Seven pages of noise, about 7 MiB; the first PATCH carries more than an S3 part (5 MiB), so a part is
    // uploaded and HEAD reads the offset from ListParts.
    const scan = await scannedPdf(`${record.businessNo} resumed`, { pages: 7 });
    const first = Math.floor(5.5 * MIB);
    expect(scan.length).toBeGreaterThan(first + MIB);

    const created = await client.create(scan.length, '身份证件.pdf');
    expect(created.status).toBe(201);
    const url = created.uploadUrl!;
    const uploadId = url.split('/').pop()!;
    expect((await client.patch(url, 0, scan.subarray(0, first))).status).toBe(204);
    // The answer was lost on the hall's link: the client asks where to go on from.
    expect(await client.offset(url)).toBe(first);
    expect(await uploadKeys()).toEqual([`${uploadId}.info`]);
    expect(await s3.multipartUploads()).toHaveLength(1);

    const last = await client.patch(url, first, scan.subarray(first));
    expect(last.status).toBe(204);
    expect(last.headers.get('tongban-file-sha256')).toBe(sha256(scan));

    const material = ITEM.materials[0]!.name;
    const attached = await stack.as(RECEIVING).query<any>(
      'mutation ($no: ID!, $m: String!, $u: ID!) { attachMaterialFile(businessNo: $no, material: $m, uploadId: $u) { scans { material sha256 size } } }',
      { no: record.businessNo, m: material, u: uploadId },
    );
    expect(attached.errors).toBeUndefined();
    expect(attached.data!.attachMaterialFile.scans).toContainEqual({ material, sha256: sha256(scan), size: scan.length });

    expect(await s3.keys()).toContain(`sha256/${sha256(scan)}`);
    expect(await uploadKeys()).toEqual([]);
    expect(await s3.multipartUploads()).toEqual([]);
    const chunks: Buffer[] = [];
    for await (const chunk of await createFileStore(stack.config.files.store).get(sha256(scan))) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(scan)).toBe(true);
    expect((await head(url)).status).toBe(404);
  });

  it('sweeps an upload abandoned half way with the bytes it had received', async () => {
    const scan = await scannedPdf('s3 abandoned', { pages: 2 });
    const created = await client.create(scan.length);
    const url = created.uploadUrl!;
    const uploadId = url.split('/').pop()!;
    // Less than a part: @tus/s3-store keeps it as `<id>.part` until the next PATCH.
    expect((await client.patch(url, 0, scan.subarray(0, 300_000))).status).toBe(204);
    expect(await client.offset(url)).toBe(300_000);
    expect(await uploadKeys()).toEqual([`${uploadId}.info`, `${uploadId}.part`]);
    expect(await s3.multipartUploads()).toHaveLength(1);

    const sweep = uploadSweepProcessor({ ...workerFileDeps(stack.config.files, stack.redis), now: () => new Date() });
    expect(await sweep()).toEqual({ uploads: 0, staged: 0 });
    expect(await uploadKeys()).toHaveLength(2);

    // The workers' sweep, its clock past the expiry.
    const later = uploadSweepProcessor({ ...workerFileDeps(stack.config.files, stack.redis), now: () => new Date(Date.now() + stack.config.files.uploadExpiryMs + 60_000) });
    expect(await later()).toEqual({ uploads: 1, staged: 0 });
    expect(await uploadKeys()).toEqual([]);
    expect(await s3.multipartUploads()).toEqual([]);
    expect((await head(url)).status).toBe(404);
  });
});
