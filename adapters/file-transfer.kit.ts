/**
 * What the platform clients share to move files: checking an upload before it is sent,
 * a timeout that grows with the file, one streamed exchange (the body is the upload's
 * Readable turned into a web stream — never a Buffer of the whole file), and a download
 * body that hashes the bytes as they pass and fails at its end when they are not the
 * announced ones. Endpoints, signatures, envelopes and codes stay in each adapter.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { InputError } from '../domain/errors.js';
import { errorMessage, isTimeout, type RawReply } from './http-client.kit.js';
import { PlatformBadResponseError, PlatformUnavailableError } from './platform.errors.js';
import type { PlatformFileUpload } from './platform.port.js';

export const FILE_CONTENT_TYPES: ReadonlySet<string> = new Set(['application/pdf', 'application/ofd', 'image/jpeg', 'image/png']);

/** The platforms' limit per file (CONTRACT.md of each). */
export const MAX_FILE_BYTES = 50 * 1024 * 1024;

export const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Assumed slowest link a hall's upload must still finish over: 1 MB/s, so a 50 MB scan
 * gets the client's base timeout plus 50 s per attempt instead of failing at the base.
 */
const BYTES_PER_MS = 1000;

export function transferTimeoutMs(baseMs: number, size: number): number {
  return baseMs + Math.ceil(size / BYTES_PER_MS);
}

/** The caller's mistakes, refused before anything is sent: they are not the platform's to judge. */
export function checkUpload(upload: PlatformFileUpload): void {
  if (!SHA256_HEX.test(upload.sha256)) throw new InputError('INPUT.INVALID_FILE_DIGEST', `文件摘要须为 64 位小写十六进制 SHA-256：${upload.sha256}`);
  if (!Number.isSafeInteger(upload.size) || upload.size < 1) throw new InputError('INPUT.INVALID_FILE_SIZE', `文件大小不正确：${upload.size}`);
  if (upload.size > MAX_FILE_BYTES) throw new InputError('INPUT.FILE_TOO_LARGE', `文件超过 ${MAX_FILE_BYTES} 字节上限：${upload.size}`);
  if (!FILE_CONTENT_TYPES.has(upload.contentType)) throw new InputError('FILE.TYPE_NOT_ALLOWED', `平台不接收该文件类型：${upload.contentType}`);
  if (upload.businessNo.trim() === '' || upload.material.trim() === '') throw new InputError('INPUT.INVALID_FILE_UPLOAD', '业务编号和材料名称不能为空');
}

/** The part of the global fetch a streamed exchange needs; a test's spy or nock's interception fit. */
export type StreamFetch = (url: string | URL, init: RequestInit & { duplex?: 'half' }) => Promise<Response>;

export interface StreamExchangeOptions {
  fetch: StreamFetch;
  system: string;
  displayName: string;
  /** `METHOD /path`, for messages. */
  label: string;
  timeoutMs: number;
}

const deadlineFor = (opts: StreamExchangeOptions) => {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException(`${opts.label} timed out after ${opts.timeoutMs} ms`, 'TimeoutError')), opts.timeoutMs);
  return { signal: deadline.signal, clear: () => clearTimeout(timer) };
};

function unavailable(opts: StreamExchangeOptions, error: unknown): PlatformUnavailableError {
  const what = isTimeout(error) ? `超时（${opts.timeoutMs} ms）` : `网络错误：${errorMessage(error)}`;
  return new PlatformUnavailableError(opts.system, `${opts.displayName} ${opts.label} ${what}`, { cause: error });
}

/**
 * One upload attempt: the stream opened afresh, sent as the body with its Content-Length, the
 * answer read in full (it is the platform's small JSON). The stream is destroyed whatever
 * happens, so a failed attempt leaves no file handle open.
 */
export async function uploadExchange(url: string | URL, init: { method: string; headers: Record<string, string> }, upload: PlatformFileUpload, opts: StreamExchangeOptions): Promise<RawReply> {
  const source = await upload.open();
  const deadline = deadlineFor(opts);
  try {
    const body = Readable.toWeb(source) as unknown as ReadableStream<Uint8Array>;
    const headers = { ...init.headers, 'content-type': upload.contentType, 'content-length': String(upload.size) };
    // Any other window or redirect mode makes fetch clone the request, teeing the body into a branch nobody reads: the whole file would sit in memory until the answer.
    // A redirect then fails as a network error (unavailable) rather than being handed back; none is in any contract.
    const response = await opts.fetch(url, { method: init.method, headers, body, duplex: 'half', window: null, redirect: 'error', signal: deadline.signal });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), text: await response.text() };
  } catch (error) {
    throw unavailable(opts, error);
  } finally {
    deadline.clear();
    source.destroy();
  }
}

/** A download's answer before its body is read: the body stays a stream, under a deadline `extend` can push out once the size is known. */
export interface StreamedAnswer {
  response: Response;
  /** Replaces the deadline with `ms` from now (the body's transfer time); the body errors with a timeout after it. */
  extend(ms: number): void;
  /** Stops the deadline: the body ended or was handed back. */
  done(): void;
}

export async function downloadExchange(url: string | URL, init: RequestInit, opts: StreamExchangeOptions): Promise<StreamedAnswer> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new DOMException(`${opts.label} timed out after ${ms} ms`, 'TimeoutError')), ms);
  };
  arm(opts.timeoutMs);
  try {
    const response = await opts.fetch(url, { ...init, redirect: 'manual', signal: controller.signal });
    return { response, extend: arm, done: () => clearTimeout(timer) };
  } catch (error) {
    clearTimeout(timer);
    throw unavailable(opts, error);
  }
}

/**
 * The body as a Readable that hashes and counts what passes and, at its end, errors with a
 * bad response when the bytes are not `expected` (digest or size): the caller that stored
 * them as they came must discard what it has. `finish` runs once, however the stream ends.
 */
export function verifiedBody(
  body: ReadableStream<Uint8Array> | null,
  expected: { sha256: string; size: number },
  p: { system: string; displayName: string; label: string; finish: () => void },
): Readable {
  const hash = createHash('sha256');
  let received = 0;
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      received += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      const digest = hash.digest('hex');
      if (received === expected.size && digest === expected.sha256) return callback();
      callback(new PlatformBadResponseError(p.system, `${p.displayName} ${p.label} 下载的文件与声明不符（${received} 字节，SHA-256 ${digest}；应为 ${expected.size} 字节，${expected.sha256}）`));
    },
  });
  const source = body ? Readable.fromWeb(body as unknown as WebReadableStream<Uint8Array>) : Readable.from([]);
  source.on('error', (error) => check.destroy(isTimeout(error) || isTimeout((error as Error).cause) ? new PlatformUnavailableError(p.system, `${p.displayName} ${p.label} 下载超时`, { cause: error }) : error));
  check.on('close', () => {
    // A reader that stopped early must not leave the connection open.
    source.destroy();
    p.finish();
  });
  return source.pipe(check);
}
