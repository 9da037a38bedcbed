/**
 * 四川一体化's file endpoints (CONTRACT.md §9) for SichuanClient. An upload's body is the raw
 * file, streamed from the caller's Readable; its signed head travels in headers, signed over
 * the file's descriptor (digest included) in the body's place; the answer is an ordinary
 * signed envelope. A download is an ordinary signed request whose answer is the bytes, with
 * a signed head and descriptor in headers, hashed as they stream. Both are retried on
 * unavailability (the upload is idempotent per businessNo and digest), the stream reopened.
 */
import type { z } from 'zod';
import type { CircuitBreaker } from '../circuit-breaker.js';
import { checkUpload, downloadExchange, transferTimeoutMs, uploadExchange, verifiedBody, type StreamFetch } from '../file-transfer.kit.js';
import { guardedCall, type HttpAnswer } from '../http-client.kit.js';
import { PlatformBadResponseError, PlatformUnavailableError } from '../platform.errors.js';
import type { PlatformFile, PlatformFileReceipt, PlatformFileUpload } from '../platform.port.js';
import { describeZodIssues } from '../wire.kit.js';
import {
  downloadDescriptorSchema,
  fileUploadResponseSchema,
  fromBase64,
  SC_FILE_HEADER,
  SICHUAN_FILE_ENDPOINTS,
  toBase64,
  type UploadDescriptor,
} from './sichuan-files.contract.js';
import { formatWireTime, parseWireTime, requestCanonical, responseCanonical, signatureMatches, sm3Sign, SIGN_TYPE } from './sichuan.signature.js';

const SYSTEM = { system: 'SICHUAN', displayName: '四川一体化平台' };

/** What the file calls borrow from the client: credentials, clocks, breaker and retry settings, and its reading of answers. */
export interface SichuanFileContext {
  baseUrl: string;
  appId: string;
  appSecret: string;
  timeoutMs: number;
  fetch: StreamFetch;
  now: () => number;
  nonce: () => string;
  breaker: CircuitBreaker;
  retries: number;
  retryBaseMs: number;
  /** The client's reading of a signed response envelope: signature, nonce echo, rtnCode, body schema. */
  readEnvelope<S extends z.ZodType>(endpoint: string, text: string, nonce: string, schema: S): z.output<S>;
  /** The client's mapping of a non-200 status to its errors. */
  statusError(endpoint: string, response: HttpAnswer, now: number): Error;
}

function guarded<T>(ctx: SichuanFileContext, endpoint: string, send: () => Promise<T>): Promise<T> {
  return guardedCall(send, {
    breaker: ctx.breaker,
    circuitOpen: (error) => new PlatformUnavailableError(SYSTEM.system, `四川一体化平台暂不可用（熔断中）: ${endpoint}`, { cause: error, retryAfterMs: error.retryAfterMs }),
    idempotent: true,
    retries: ctx.retries,
    retryBaseMs: ctx.retryBaseMs,
  });
}

const bad = (message: string) => new PlatformBadResponseError(SYSTEM.system, `四川一体化平台响应不符合约定: ${message}`);

export async function uploadSichuanFile(ctx: SichuanFileContext, upload: PlatformFileUpload): Promise<PlatformFileReceipt> {
  checkUpload(upload);
  const endpoint = SICHUAN_FILE_ENDPOINTS.upload;
  const descriptor: UploadDescriptor = { businessNo: upload.businessNo, materialName: upload.material, sha256: upload.sha256, size: upload.size, contentType: upload.contentType };
  const descriptorText = JSON.stringify(descriptor);
  const timeoutMs = transferTimeoutMs(ctx.timeoutMs, upload.size);
  const receipt = await guarded(ctx, endpoint, async () => {
    const nonce = ctx.nonce();
    const requestTime = formatWireTime(ctx.now());
    const headers = {
      accept: 'application/json',
      [SC_FILE_HEADER.appId]: ctx.appId,
      [SC_FILE_HEADER.requestTime]: requestTime,
      [SC_FILE_HEADER.nonce]: nonce,
      [SC_FILE_HEADER.signType]: SIGN_TYPE,
      [SC_FILE_HEADER.sign]: sm3Sign(ctx.appSecret, requestCanonical({ appId: ctx.appId, nonce, requestTime }, descriptorText)),
      [SC_FILE_HEADER.fileInfo]: toBase64(descriptorText),
    };
    const reply = await uploadExchange(`${ctx.baseUrl}${endpoint}`, { method: 'POST', headers }, upload, { fetch: ctx.fetch, ...SYSTEM, label: endpoint, timeoutMs });
    if (reply.status !== 200) throw ctx.statusError(endpoint, { status: reply.status, headers: { get: (name) => (name === 'retry-after' ? reply.retryAfter : null) }, text: async () => reply.text }, ctx.now());
    return ctx.readEnvelope(endpoint, reply.text, nonce, fileUploadResponseSchema);
  });
  if (receipt.sha256 !== upload.sha256 || receipt.size !== upload.size) {
    throw bad(`${endpoint}: 回执 (${receipt.sha256}, ${receipt.size}) 与上传的文件 (${upload.sha256}, ${upload.size}) 不一致`);
  }
  return { fileId: receipt.fileId, sha256: receipt.sha256, size: receipt.size, receivedAt: new Date(parseWireTime(receipt.receiveTime)!).toISOString() };
}

/** Retried until the answer's headers arrive; the body, once handed over, is the caller's to read. */
export async function downloadSichuanFile(ctx: SichuanFileContext, fileId: string): Promise<PlatformFile> {
  const endpoint = SICHUAN_FILE_ENDPOINTS.download;
  const body = JSON.stringify({ fileId });
  return guarded(ctx, endpoint, async () => {
    const nonce = ctx.nonce();
    const requestTime = formatWireTime(ctx.now());
    const sign = sm3Sign(ctx.appSecret, requestCanonical({ appId: ctx.appId, nonce, requestTime }, body));
    const payload = JSON.stringify({ head: { appId: ctx.appId, requestTime, nonce, signType: SIGN_TYPE, sign }, body });
    const answer = await downloadExchange(
      `${ctx.baseUrl}${endpoint}`,
      { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: payload },
      { fetch: ctx.fetch, ...SYSTEM, label: endpoint, timeoutMs: ctx.timeoutMs },
    );
    const { response } = answer;
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (response.status !== 200 || contentType === 'application/json') {
      try {
        if (response.status !== 200) throw ctx.statusError(endpoint, response, ctx.now());
        ctx.readEnvelope(endpoint, await response.text(), nonce, downloadDescriptorSchema);
      } catch (error) {
        throw error instanceof Error && 'code' in error ? error : new PlatformUnavailableError(SYSTEM.system, `四川一体化平台 ${endpoint} 读取失败`, { cause: error });
      } finally {
        answer.done();
        await response.body?.cancel().catch(() => undefined);
      }
      throw bad(`${endpoint}: 成功的下载必须是文件本身，而不是 JSON`);
    }
    const descriptor = signedDownloadDescriptor(ctx, response.headers, nonce, fileId);
    if ('problem' in descriptor) {
      answer.done();
      await response.body?.cancel().catch(() => undefined);
      throw bad(`${endpoint}: ${descriptor.problem}`);
    }
    const { sha256, size } = descriptor.file;
    answer.extend(transferTimeoutMs(ctx.timeoutMs, size));
    return { body: verifiedBody(response.body, { sha256, size }, { ...SYSTEM, label: endpoint, finish: answer.done }), sha256, size, contentType };
  });
}

/** The answer's descriptor, believed only once the signed head over it verifies and echoes our nonce. */
function signedDownloadDescriptor(ctx: SichuanFileContext, headers: Headers, nonce: string, fileId: string) {
  const descriptorText = fromBase64(headers.get(SC_FILE_HEADER.fileInfo) ?? undefined);
  const head = {
    nonce: headers.get(SC_FILE_HEADER.nonce) ?? '',
    responseTime: headers.get(SC_FILE_HEADER.responseTime) ?? '',
    rtnCode: headers.get(SC_FILE_HEADER.rtnCode) ?? '',
    rtnMsg: '',
  };
  if (descriptorText === undefined || parseWireTime(head.responseTime) === null) return { problem: '下载缺少签名报文头' };
  if (!signatureMatches(ctx.appSecret, responseCanonical(head, descriptorText), headers.get(SC_FILE_HEADER.sign))) return { problem: '下载的签名校验失败' };
  if (head.nonce !== nonce) return { problem: `下载回答的是另一请求（nonce ${head.nonce}）` };
  if (head.rtnCode !== '000000') return { problem: `下载的 rtnCode 为 ${head.rtnCode}` };
  let json: unknown;
  try {
    json = JSON.parse(descriptorText);
  } catch {
    return { problem: '下载的文件描述不是 JSON' };
  }
  const parsed = downloadDescriptorSchema.safeParse(json);
  if (!parsed.success) return { problem: `下载的文件描述: ${describeZodIssues(parsed.error, 3)}` };
  if (parsed.data.fileId !== fileId) return { problem: `下载的是另一文件 ${parsed.data.fileId}` };
  if (Number(headers.get('content-length')) !== parsed.data.size) return { problem: 'Content-Length 与文件描述不符' };
  return { file: parsed.data };
}
