import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListPartsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestS3, type TestS3 } from '../support/s3-server.js';

const MIB = 1024 * 1024;
const bytes = (size: number, fill: number) => Buffer.alloc(size, fill);

/**
 * The test S3 server's additions to s3rver (test/support/s3-server.ts) answer as S3 does, or
 * the tests of @tus/s3-store on it prove nothing: ListParts lists what UploadPart took, Abort
 * deletes it, and a body the SDK sends aws-chunked is stored as its payload.
 */
describe('the test S3 server', () => {
  let s3: TestS3;
  let directory: string;
  const Bucket = 'tongban-test';

  beforeAll(async () => {
    s3 = await startTestS3(Bucket);
    directory = await mkdtemp(join(tmpdir(), 'tongban-s3-parts-'));
  });

  afterAll(async () => {
    await s3?.close();
    await rm(directory, { recursive: true, force: true });
  });

  const noSuchUpload = { name: 'NoSuchUpload', $metadata: expect.objectContaining({ httpStatusCode: 404 }) };

  it('lists the parts UploadPart took, page by page, with their sizes and ETags, until the upload completes', async () => {
    const Key = 'listed';
    const { UploadId } = await s3.client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const parts = [bytes(5 * MIB, 1), bytes(5 * MIB, 2), bytes(1234, 3)];
    // The last part from a file: the SDK sends a stream body aws-chunked, with a CRC32 trailer.
    const path = join(directory, 'part-3');
    await writeFile(path, parts[2]!);
    const etags: string[] = [];
    for (const [index, part] of parts.entries()) {
      const Body = index === 2 ? createReadStream(path) : part;
      etags.push((await s3.client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: index + 1, Body }))).ETag!);
    }

    const first = await s3.client.send(new ListPartsCommand({ Bucket, Key, UploadId, MaxParts: 2 }));
    expect(first.IsTruncated).toBe(true);
    expect(first.NextPartNumberMarker).toBe('2');
    const rest = await s3.client.send(new ListPartsCommand({ Bucket, Key, UploadId, PartNumberMarker: first.NextPartNumberMarker }));
    expect(rest.IsTruncated).toBe(false);
    const listed = [...first.Parts!, ...rest.Parts!].map(({ PartNumber, Size, ETag }) => ({ PartNumber, Size, ETag }));
    expect(listed).toEqual(parts.map((part, index) => ({ PartNumber: index + 1, Size: part.length, ETag: etags[index] })));
    expect(await s3.multipartUploads()).toEqual([UploadId]);

    await s3.client.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: etags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })) } }),
    );
    const stored = Buffer.from(await (await s3.client.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToByteArray());
    expect(stored.equals(Buffer.concat(parts))).toBe(true);
    await expect(s3.client.send(new ListPartsCommand({ Bucket, Key, UploadId }))).rejects.toMatchObject(noSuchUpload);
    expect(await s3.multipartUploads()).toEqual([]);
  });

  it('aborts an upload with its parts, and knows no upload at another key or twice', async () => {
    const Key = 'aborted';
    const { UploadId } = await s3.client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    await s3.client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: bytes(1000, 4) }));
    await expect(s3.client.send(new ListPartsCommand({ Bucket, Key: 'other', UploadId }))).rejects.toMatchObject(noSuchUpload);
    await expect(s3.client.send(new AbortMultipartUploadCommand({ Bucket, Key: 'other', UploadId }))).rejects.toMatchObject(noSuchUpload);
    expect(await s3.multipartUploads()).toEqual([UploadId]);

    await s3.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }));
    expect(await s3.multipartUploads()).toEqual([]);
    await expect(s3.client.send(new ListPartsCommand({ Bucket, Key, UploadId }))).rejects.toMatchObject(noSuchUpload);
    await expect(s3.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }))).rejects.toMatchObject(noSuchUpload);
    await expect(s3.client.send(new ListPartsCommand({ Bucket, Key, UploadId: '../../etc' }))).rejects.toMatchObject(noSuchUpload);
  });

  it('stores the payload of an aws-chunked body, and refuses one whose CRC32 trailer does not match', async () => {
    const payload = bytes(70_000, 5);
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32BE(crc32(payload));
    const chunked = (trailer: string) =>
      Buffer.concat([
        Buffer.from(`${(65_536).toString(16)}\r\n`),
        payload.subarray(0, 65_536),
        Buffer.from(`\r\n${(payload.length - 65_536).toString(16)}\r\n`),
        payload.subarray(65_536),
        Buffer.from(`\r\n0\r\nx-amz-checksum-crc32:${trailer}\r\n\r\n`),
      ]);
    const put = (key: string, body: Buffer) =>
      fetch(`${s3.settings.endpoint}/${Bucket}/${key}`, {
        method: 'PUT',
        headers: {
          'content-encoding': 'aws-chunked',
          'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
          'x-amz-decoded-content-length': String(payload.length),
          'x-amz-trailer': 'x-amz-checksum-crc32',
        },
        body: new Uint8Array(body),
      });

    expect((await put('chunked', chunked(checksum.toString('base64')))).status).toBe(200);
    const stored = await s3.client.send(new GetObjectCommand({ Bucket, Key: 'chunked' }));
    expect(stored.ContentEncoding).toBeUndefined();
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(payload)).toBe(true);

    const refused = await put('bad-digest', chunked(Buffer.alloc(4).toString('base64')));
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('<Code>BadDigest</Code>');
    const cut = await put('cut', chunked(checksum.toString('base64')).subarray(0, 1000));
    expect(cut.status).toBe(400);
    expect(await cut.text()).toContain('<Code>IncompleteBody</Code>');
    expect(await s3.keys()).not.toContain('bad-digest');
    expect(await s3.keys()).not.toContain('cut');
  });
});
