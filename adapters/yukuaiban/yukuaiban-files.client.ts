/**
 * 渝快办's file endpoints (CONTRACT.md §10) for YukuaibanClient: an upload streamed from the
 * caller's Readable and signed over its declared digest, retried (the endpoint is idempotent
 * per business number and digest) with the stream opened afresh; a download streamed back
 * and hashed as it passes.
 */
import type { z } from 'zod';
import { checkUpload, downloadExchange, SHA256_HEX, transferTimeoutMs, uploadExchange, verifiedBody, type StreamFetch } from '../file-transfer.kit.js';
import type { RawReply } from '../http-client.kit.js';
import type { PlatformBadResponseError } from '../platform.errors.js';
import type { PlatformFile, PlatformFileReceipt, PlatformFileUpload } from '../platform.port.js';
import { isoFromYkb } from './yukuaiban.mapper.js';
import { signedYukuaibanHeaders } from './yukuaiban.signature.js';
import { ykbFileReceiptSchema, YKB_FILE_API, YKB_FILE_HEADER } from './yukuaiban-files.wire.js';

/** What the file calls borrow from the client: credentials, clocks, and its breaker, envelope reading and wording. */
export interface YukuaibanFileContext {
  baseUrl: string;
  appKey: string;
  appSecret: string;
  timeoutMs: number;
  fetch: StreamFetch;
  now: () => number;
  nonce: () => string;
  guarded<T>(send: () => Promise<T>, idempotent: boolean): Promise<T>;
  interpret(label: string, reply: RawReply): { status: number; data: unknown };
  parsed<S extends z.ZodType>(schema: S, value: unknown, label: string): z.infer<S>;
  badResponse(message: string): PlatformBadResponseError;
}

const SYSTEM = { system: 'CHONGQING', displayName: '渝快办' };

export async function uploadYukuaibanFile(ctx: YukuaibanFileContext, upload: PlatformFileUpload): Promise<PlatformFileReceipt> {
  checkUpload(upload);
  const url = new URL(`${ctx.baseUrl}${YKB_FILE_API.files}/${encodeURIComponent(upload.businessNo)}/${upload.sha256}`);
  url.searchParams.set('clmc', upload.material);
  const label = `PUT ${YKB_FILE_API.files}/{ywbh}/{sha256}`;
  const timeoutMs = transferTimeoutMs(ctx.timeoutMs, upload.size);
  const reply = await ctx.guarded(async () => {
    const headers = {
      accept: 'application/json',
      ...signedYukuaibanHeaders({
        appKey: ctx.appKey,
        secret: ctx.appSecret,
        method: 'PUT',
        pathWithQuery: url.pathname + url.search,
        body: '',
        bodySha256: upload.sha256,
        now: ctx.now(),
        nonce: ctx.nonce(),
      }),
    };
    return ctx.interpret(label, await uploadExchange(url, { method: 'PUT', headers }, upload, { fetch: ctx.fetch, ...SYSTEM, label, timeoutMs }));
  }, true);
  const receipt = ctx.parsed(ykbFileReceiptSchema, reply.data, label);
  if (receipt.sha256 !== upload.sha256 || receipt.wjdx !== upload.size) {
    throw ctx.badResponse(`${label} 的回执 (${receipt.sha256}, ${receipt.wjdx} 字节) 与上传的文件 (${upload.sha256}, ${upload.size} 字节) 不一致`);
  }
  return { fileId: receipt.wjbh, sha256: receipt.sha256, size: receipt.wjdx, receivedAt: isoFromYkb(receipt.jssj) };
}

/** Retried until the answer's headers arrive; the body, once handed over, is the caller's to read. */
export async function downloadYukuaibanFile(ctx: YukuaibanFileContext, fileId: string): Promise<PlatformFile> {
  const url = new URL(`${ctx.baseUrl}${YKB_FILE_API.files}/${encodeURIComponent(fileId)}`);
  const label = `GET ${YKB_FILE_API.files}/{wjbh}`;
  return ctx.guarded(async () => {
    const headers = {
      ...signedYukuaibanHeaders({ appKey: ctx.appKey, secret: ctx.appSecret, method: 'GET', pathWithQuery: url.pathname + url.search, body: '', now: ctx.now(), nonce: ctx.nonce() }),
    };
    const answer = await downloadExchange(url, { method: 'GET', headers }, { fetch: ctx.fetch, ...SYSTEM, label, timeoutMs: ctx.timeoutMs });
    const { response } = answer;
    const contentType = response.headers.get('content-type') ?? '';
    if (response.status !== 200 || contentType.startsWith('application/json')) {
      try {
        const text = await response.text();
        ctx.interpret(label, { status: response.status, retryAfter: response.headers.get('retry-after'), text });
      } finally {
        answer.done();
      }
      throw ctx.badResponse(`${label} 以 JSON 回答了下载`);
    }
    const sha256 = response.headers.get(YKB_FILE_HEADER.sha256) ?? '';
    const size = Number(response.headers.get('content-length') ?? 'NaN');
    if (!SHA256_HEX.test(sha256) || !Number.isSafeInteger(size)) {
      answer.done();
      await response.body?.cancel().catch(() => undefined);
      throw ctx.badResponse(`${label} 缺少 ${YKB_FILE_HEADER.sha256} 或 Content-Length`);
    }
    answer.extend(transferTimeoutMs(ctx.timeoutMs, size));
    const body = verifiedBody(response.body, { sha256, size }, { ...SYSTEM, label, finish: answer.done });
    return { body, size, sha256, contentType: contentType.split(';')[0]!.trim() };
  }, true);
}
