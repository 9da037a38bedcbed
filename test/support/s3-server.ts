import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import S3rver, { type S3rverContext, type S3rverMiddleware } from 's3rver';
import { createS3Client, type S3Settings } from '../../lib/files/s3.store.js';

export interface TestS3 {
  settings: S3Settings;
  /** The environment that points a stack's file store at this server. */
  env: Record<string, string>;
  client: S3Client;
  /** Every key in the bucket. */
  keys(): Promise<string[]>;
  /** The ids of the multipart uploads begun and neither completed nor aborted. */
  multipartUploads(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * A real S3-speaking server (s3rver) on a free loopback port, its objects in a temporary
 * directory, with what @tus/s3-store needs and s3rver lacks added (see s3rverGaps).
 */
export async function startTestS3(bucket = 'tongban-test'): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'tongban-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
  const router = server.middleware.findIndex((middleware) => middleware.router);
  if (router < 0) throw new Error("s3rver's middleware holds no @koa/router to go before");
  server.middleware.splice(router, 0, s3rverGaps(server));
  const { port } = await server.run();
  const settings: S3Settings = {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    forcePathStyle: true,
  };
  const client = createS3Client(settings);
  return {
    settings,
    env: {
      FILE_STORE: 's3',
      S3_ENDPOINT: settings.endpoint!,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: settings.accessKeyId!,
      S3_SECRET_ACCESS_KEY: settings.secretAccessKey!,
      S3_FORCE_PATH_STYLE: 'true',
    },
    client,
    async keys() {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
        token = page.NextContinuationToken;
      } while (token);
      return keys.sort();
    },
    async multipartUploads() {
      return (await readdir(uploadsDirectory(server, bucket)).catch(() => [])).sort();
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** s3rver's uploads in progress: `<upload id>/` holding `key`, `metadata` and each part as `<number>` and `<number>.md5`. */
const uploadsDirectory = (server: S3rver, bucket: string) => server.store.getResourcePath(bucket, undefined, 'uploads');

const DEFAULT_MAX_PARTS = 1000;

/**
 * What @tus/s3-store needs of S3 and s3rver 3.7 lacks, placed before s3rver's router (so after
 * its XML encoding and error handling); other requests go on to the router.
 * - ListParts and AbortMultipartUpload, which s3rver answers 405, over the parts its own
 *   UploadPart wrote: ListParts lists the parts on disk (size, the ETag UploadPart answered,
 *   paged by part-number-marker and max-parts as S3 pages them), Abort deletes them with the
 *   upload; both answer NoSuchUpload for an upload not under way at that key (completed or
 *   aborted), as S3 does.
 * - Bodies sent `Content-Encoding: aws-chunked` (what the SDK does with a stream body, as the
 *   store's parts are): S3 stores the payload, s3rver stored the framing with it.
 */
function s3rverGaps(server: S3rver): S3rverMiddleware {
  return async (ctx, next) => {
    if (ctx.method === 'PUT' && isAwsChunked(ctx.req.headers)) {
      const decoded = decodeAwsChunked(await readAll(ctx.req), ctx.req.headers);
      if ('error' in decoded) {
        ctx.status = 400;
        ctx.body = { Error: { Code: decoded.error, Message: decoded.message } };
        return;
      }
      const encodings = (ctx.req.headers['content-encoding'] ?? '').split(',').map((token) => token.trim()).filter((token) => token && token !== 'aws-chunked');
      if (encodings.length > 0) ctx.req.headers['content-encoding'] = encodings.join(', ');
      else delete ctx.req.headers['content-encoding'];
      ctx.req.headers['content-length'] = String(decoded.payload.length);
      ctx.req = Object.assign(Readable.from([decoded.payload]), { headers: ctx.req.headers });
      return next();
    }

    const uploadId = typeof ctx.query.uploadId === 'string' ? ctx.query.uploadId : undefined;
    const [bucket, ...keyPath] = ctx.path.slice(1).split('/').map(decodeURIComponent);
    const key = keyPath.join('/');
    const listParts = ctx.method === 'GET' && !('partNumber' in ctx.query);
    if (!uploadId || !bucket || !key || !(listParts || ctx.method === 'DELETE')) return next();

    const directory = join(uploadsDirectory(server, bucket), uploadId);
    const uploadKey = /^[0-9a-f]+$/.test(uploadId) ? await readFile(join(directory, 'key'), 'utf8').catch(() => null) : null;
    if (uploadKey !== key) {
      ctx.status = 404;
      ctx.body = { Error: { Code: 'NoSuchUpload', Message: 'The specified upload does not exist.', UploadId: uploadId } };
      return;
    }
    if (ctx.method === 'DELETE') {
      await rm(directory, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    ctx.body = { ListPartsResult: await listedParts(directory, bucket, key, uploadId, ctx.query) };
  };
}

const isAwsChunked = (headers: IncomingHttpHeaders) =>
  /(^|,)\s*aws-chunked\s*(,|$)/.test(headers['content-encoding'] ?? '') || String(headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The payload of an aws-chunked body: `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n` until a
 * chunk of size 0, then the trailers named in x-amz-trailer, each `name:value\r\n`, and an empty
 * line. Refused as S3 refuses them: framing that does not add up, a payload not of
 * x-amz-decoded-content-length, a CRC32 trailer that does not match (other checksums are not
 * checked here: the SDK sends CRC32 unless told otherwise). Chunk signatures are not checked, as
 * s3rver checks no payload.
 */
function decodeAwsChunked(body: Buffer, headers: IncomingHttpHeaders): { payload: Buffer } | { error: string; message: string } {
  const chunks: Buffer[] = [];
  let at = 0;
  const line = () => {
    const end = body.indexOf('\r\n', at);
    if (end < 0) return null;
    const text = body.subarray(at, end).toString('latin1');
    at = end + 2;
    return text;
  };
  const incomplete = { error: 'IncompleteBody', message: 'The aws-chunked body does not add up.' };
  for (;;) {
    const header = line();
    const size = header === null ? NaN : Number.parseInt(header.split(';')[0]!, 16);
    if (!Number.isSafeInteger(size) || size < 0) return incomplete;
    if (size === 0) break;
    if (body.length < at + size + 2 || body.subarray(at + size, at + size + 2).toString('latin1') !== '\r\n') return incomplete;
    chunks.push(body.subarray(at, at + size));
    at += size + 2;
  }
  const trailers = new Map<string, string>();
  for (let trailer = line(); trailer !== ''; trailer = line()) {
    if (trailer === null) return incomplete;
    const colon = trailer.indexOf(':');
    trailers.set(trailer.slice(0, colon).trim().toLowerCase(), trailer.slice(colon + 1).trim());
  }
  if (at !== body.length) return incomplete;
  const payload = Buffer.concat(chunks);
  const declared = headers['x-amz-decoded-content-length'];
  if (declared !== undefined && Number(declared) !== payload.length) return incomplete;
  const crc32 = trailers.get('x-amz-checksum-crc32');
  if (crc32 !== undefined) {
    const actual = Buffer.alloc(4);
    actual.writeUInt32BE(zlibCrc32(payload));
    if (actual.toString('base64') !== crc32) return { error: 'BadDigest', message: 'The CRC32 you specified did not match the calculated checksum.' };
  }
  return { payload };
}

async function listedParts(directory: string, bucket: string, key: string, uploadId: string, query: S3rverContext['query']) {
  const marker = Number(query['part-number-marker'] ?? 0);
  const maxParts = Math.min(Number(query['max-parts'] ?? DEFAULT_MAX_PARTS), DEFAULT_MAX_PARTS);
  const names = new Set(await readdir(directory));
  // A part is listed once UploadPart has answered, which it does after writing `<number>.md5`.
  const numbers = [...names]
    .filter((name) => /^\d+$/.test(name) && names.has(`${name}.md5`))
    .map(Number)
    .filter((number) => number > marker)
    .sort((a, b) => a - b);
  const page = numbers.slice(0, maxParts);
  const parts = await Promise.all(
    page.map(async (number) => {
      const [{ size, mtime }, md5] = await Promise.all([stat(join(directory, String(number))), readFile(join(directory, `${number}.md5`), 'utf8')]);
      return { PartNumber: number, LastModified: mtime.toISOString(), ETag: JSON.stringify(md5), Size: size };
    }),
  );
  const truncated = numbers.length > page.length;
  return {
    Bucket: bucket,
    Key: key,
    UploadId: uploadId,
    PartNumberMarker: marker,
    ...(truncated ? { NextPartNumberMarker: page.at(-1) } : {}),
    MaxParts: maxParts,
    IsTruncated: truncated,
    ...(parts.length > 0 ? { Part: parts } : {}),
  };
}
