/**
 * PlatformPort over 渝快办's REST API (CONTRACT.md). Every request is signed; every answer
 * is validated before it is believed; failures leave as the platform error classes with
 * system CHONGQING, so callers branch on `PLATFORM.CHONGQING_UNAVAILABLE` / `_REJECTED` /
 * `_BAD_RESPONSE` and never on HTTP details.
 */
import { InputError } from '../../domain/errors.js';
import { forEachChunk, parseJsonEnvelope, type RawReply } from '../http-client.kit.js';
import { PlatformRejectedError, PlatformUnavailableError } from '../platform.errors.js';
import { SignedRestClient, type RestClientOptions } from '../rest-client.kit.js';
import { IDEMPOTENCY_KEY } from '../wire.kit.js';
import type { StreamFetch } from '../file-transfer.kit.js';
import type { CatalogItem, CatalogPage, PlatformCaseRecord, PlatformFile, PlatformFileReceipt, PlatformFileUpload, PlatformPort, SearchItemsQuery, SubmitCaseRequest } from '../platform.port.js';
import { downloadYukuaibanFile, uploadYukuaibanFile, type YukuaibanFileContext } from './yukuaiban-files.client.js';
import { caseFromWire, itemFromWire, submitToWire } from './yukuaiban.mapper.js';
import { newYukuaibanNonce, signedYukuaibanHeaders, YKB_HEADER } from './yukuaiban.signature.js';
import {
  ykbCaseListSchema,
  ykbCaseSchema,
  ykbEnvelopeSchema,
  ykbItemListSchema,
  ykbItemPageSchema,
  YKB_API,
  YKB_CODE,
  YKB_MAX_BATCH,
  YKB_MAX_KEYWORD_LENGTH,
  YKB_MAX_PAGE_SIZE,
  YKB_OK,
  type YkbEnvelope,
  type YkbItem,
} from './yukuaiban.wire.js';

export { verifyYukuaibanWebhook, type VerifyYukuaibanWebhookOptions } from './yukuaiban.webhook.js';

const SYSTEM = 'CHONGQING';

/** Chunks of one batch call in flight at once: fast for big DataLoader batches, gentle on the platform. */
const BATCH_CONCURRENCY = 4;

export interface YukuaibanClientOptions extends RestClientOptions {
  appKey: string;
  appSecret: string;
  /**
   * Carries the file transfers, which stream (`fetch` may be a transport that reads whole
   * answers into memory). Default: the global fetch, looked up per call.
   */
  fileFetch?: StreamFetch;
}

interface CallSpec {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Only reads are retried: a repeated write could do its effect twice. */
  idempotent: boolean;
}

interface Reply {
  status: number;
  data: unknown;
}

export class YukuaibanClient extends SignedRestClient implements PlatformPort {
  readonly region = 'CHONGQING' as const;

  private readonly files: YukuaibanFileContext;
  /**
   * File transfers fail on their own account (a large file over a hall's link, a connection
   * dropped mid-body): they open a breaker of their own, so they never cut the platform's API
   * calls off, nor those calls them.
   */
  private readonly fileBreaker = this.newBreaker();

  constructor(private readonly options: YukuaibanClientOptions) {
    super(options, newYukuaibanNonce, { system: SYSTEM, displayName: '渝快办' });
    this.files = {
      ...options,
      baseUrl: this.baseUrl,
      fetch: options.fileFetch ?? ((url, init) => globalThis.fetch(url, init)),
      now: this.now,
      nonce: this.nonce,
      guarded: (send, idempotent) => this.guarded(send, idempotent, this.fileBreaker),
      interpret: (label, reply) => this.interpret(label, reply),
      parsed: (schema, value, label) => this.parsed(schema, value, label),
      badResponse: (message) => this.badResponse(message),
    };
  }

  /** The file transfers' breaker (the API calls' is circuitState). */
  get fileCircuitState() {
    return this.fileBreaker.state;
  }

  /** Retried on unavailability like a read: the same (businessNo, sha256) stores nothing new. */
  uploadFile(upload: PlatformFileUpload): Promise<PlatformFileReceipt> {
    return uploadYukuaibanFile(this.files, upload);
  }

  downloadFile(fileId: string): Promise<PlatformFile> {
    return downloadYukuaibanFile(this.files, fileId);
  }

  async getItemsByCodes(codes: readonly string[]): Promise<(CatalogItem | null)[]> {
    const found = new Map<string, CatalogItem>();
    await forEachChunk([...new Set(codes)], YKB_MAX_BATCH, BATCH_CONCURRENCY, async (chunk) => {
      const reply = await this.call({ method: 'POST', path: YKB_API.itemsBatch, body: { sxbmList: chunk }, idempotent: true });
      const { list } = this.parsed(ykbItemListSchema, reply.data, `POST ${YKB_API.itemsBatch}`);
      const asked = new Set(chunk);
      for (const wire of list) {
        if (!asked.has(wire.sxbm)) throw this.badResponse(`POST ${YKB_API.itemsBatch} 返回了未请求的事项 ${wire.sxbm}`);
        found.set(wire.sxbm, itemFromWire(wire));
      }
    });
    return codes.map((code) => found.get(code) ?? null);
  }

  /**
   * The port pages by offset/limit, 渝快办 by page/size. With size = limit an arbitrary
   * window spans at most two platform pages (more only when limit exceeds the platform's
   * maximum page size), fetched one after the other and cut to the window.
   */
  async searchItems(query: SearchItemsQuery): Promise<CatalogPage> {
    const { offset, limit } = query;
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 0) {
      throw new InputError('INPUT.INVALID_PAGING', `分页参数不正确: offset=${offset}, limit=${limit}`);
    }
    const keyword = query.search?.trim() ?? '';
    // The platform would refuse it (40001); the caller's input is what is wrong, so say so without the call.
    if (keyword.length > YKB_MAX_KEYWORD_LENGTH) {
      throw new InputError('INPUT.SEARCH_TOO_LONG', `搜索关键字不能超过 ${YKB_MAX_KEYWORD_LENGTH} 个字符`);
    }
    if (limit === 0) {
      return { items: [], total: (await this.searchPage(keyword, 1, 1)).total };
    }
    const size = Math.min(limit, YKB_MAX_PAGE_SIZE);
    const firstPage = Math.floor(offset / size) + 1;
    const lastPage = Math.floor((offset + limit - 1) / size) + 1;
    const collected: YkbItem[] = [];
    let total = 0;
    for (let page = firstPage; page <= lastPage; page += 1) {
      const result = await this.searchPage(keyword, page, size);
      if (page === firstPage) total = result.total;
      collected.push(...result.list);
      if (page * size >= result.total) break;
    }
    const skip = offset - (firstPage - 1) * size;
    return { items: collected.slice(skip, skip + limit).map(itemFromWire), total };
  }

  private async searchPage(keyword: string, page: number, size: number) {
    const label = `GET ${YKB_API.items}`;
    const reply = await this.call({
      method: 'GET',
      path: YKB_API.items,
      query: { ...(keyword ? { keyword } : {}), page: String(page), size: String(size) },
      idempotent: true,
    });
    const result = this.parsed(ykbItemPageSchema, reply.data, label);
    if (result.list.length > size) throw this.badResponse(`${label} 一页返回 ${result.list.length} 条，超过 size=${size}`);
    return result;
  }

  /**
   * Not retried here: the idempotency key is what makes a retry safe, and the caller (a job
   * with its own backoff) owns it. Resubmitting with the same key and body returns the case
   * the first attempt created, even when that attempt's answer was lost.
   */
  async submitCase(request: SubmitCaseRequest): Promise<PlatformCaseRecord> {
    if (!IDEMPOTENCY_KEY.test(request.idempotencyKey)) {
      throw new InputError('INPUT.INVALID_IDEMPOTENCY_KEY', '幂等键须为 1–128 个可见 ASCII 字符');
    }
    const label = `POST ${YKB_API.cases}`;
    const reply = await this.call({
      method: 'POST',
      path: YKB_API.cases,
      body: submitToWire(request),
      headers: { [YKB_HEADER.idempotencyKey]: request.idempotencyKey },
      idempotent: false,
    });
    const record = caseFromWire(this.parsed(ykbCaseSchema, reply.data, label));
    if (record.businessNo !== request.businessNo || record.itemCode !== request.itemCode) {
      throw this.badResponse(`${label} 返回的办件 (${record.businessNo}, ${record.itemCode}) 与提交的 (${request.businessNo}, ${request.itemCode}) 不一致`);
    }
    return record;
  }

  async getCasesByIds(ids: readonly string[]): Promise<(PlatformCaseRecord | null)[]> {
    const found = new Map<string, PlatformCaseRecord>();
    await forEachChunk([...new Set(ids)], YKB_MAX_BATCH, BATCH_CONCURRENCY, async (chunk) => {
      const reply = await this.call({ method: 'POST', path: YKB_API.casesBatch, body: { bjbhList: chunk }, idempotent: true });
      const { list } = this.parsed(ykbCaseListSchema, reply.data, `POST ${YKB_API.casesBatch}`);
      const asked = new Set(chunk);
      for (const wire of list) {
        if (!asked.has(wire.bjbh)) throw this.badResponse(`POST ${YKB_API.casesBatch} 返回了未请求的办件 ${wire.bjbh}`);
        found.set(wire.bjbh, caseFromWire(wire));
      }
    });
    return ids.map((id) => found.get(id) ?? null);
  }

  /** One case; null when the platform does not know the id. */
  async getCase(platformCaseId: string): Promise<PlatformCaseRecord | null> {
    const path = `${YKB_API.cases}/${encodeURIComponent(platformCaseId)}`;
    let reply: Reply;
    try {
      reply = await this.call({ method: 'GET', path, idempotent: true });
    } catch (error) {
      if (error instanceof PlatformRejectedError && error.platformCode === YKB_CODE.caseNotFound) return null;
      throw error;
    }
    const record = caseFromWire(this.parsed(ykbCaseSchema, reply.data, `GET ${YKB_API.cases}/{id}`));
    if (record.platformCaseId !== platformCaseId) throw this.badResponse(`GET ${path} 返回了办件 ${record.platformCaseId}`);
    return record;
  }

  private async call(spec: CallSpec): Promise<Reply> {
    return this.guarded(() => this.send(spec), spec.idempotent);
  }

  private async send(spec: CallSpec): Promise<Reply> {
    const label = `${spec.method} ${spec.path}`;
    const search = spec.query ? new URLSearchParams(spec.query).toString() : '';
    const url = new URL(`${this.baseUrl}${spec.path}${search ? `?${search}` : ''}`);
    const body = spec.body === undefined ? '' : JSON.stringify(spec.body);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...signedYukuaibanHeaders({
        appKey: this.options.appKey,
        secret: this.options.appSecret,
        method: spec.method,
        pathWithQuery: url.pathname + url.search,
        body,
        now: this.now(),
        nonce: this.nonce(),
      }),
      ...(spec.body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      ...spec.headers,
    };
    // A redirect would change the signed path; it is not part of the contract (fetchText never follows one).
    return this.interpret(label, await this.exchange(url, { method: spec.method, headers, ...(spec.body === undefined ? {} : { body }) }, label));
  }

  private interpret(label: string, reply: RawReply): Reply {
    const { status } = reply;
    const parsed = parseEnvelope(reply.text);
    const envelope = 'envelope' in parsed ? parsed.envelope : null;
    const said = envelope ? `${envelope.code} ${envelope.msg}` : `HTTP ${status}`;
    const failure = this.statusFailure(label, reply, said, () => (envelope && envelope.code !== YKB_OK ? envelope.code : `HTTP_${status}`));
    if (failure) throw failure;
    if (status !== 200 && status !== 201) throw this.badResponse(`${label} 返回了契约外的 HTTP ${status}`);
    if (!envelope) throw this.badResponse(`${label} ${'problem' in parsed ? parsed.problem : ''}`);
    if (envelope.code !== YKB_OK) {
      // A 5xxxx business code is the platform failing, whatever HTTP status carried it.
      if (envelope.code.startsWith('5') || envelope.code === YKB_CODE.rateLimited) {
        throw new PlatformUnavailableError(SYSTEM, `渝快办 ${label} 业务错误（${said}）`);
      }
      throw new PlatformRejectedError(SYSTEM, envelope.code, `渝快办 ${label} 业务错误（${said}）`);
    }
    return { status, data: envelope.data };
  }
}

function parseEnvelope(text: string): { envelope: YkbEnvelope } | { problem: string } {
  return parseJsonEnvelope(text, ykbEnvelopeSchema, '{code,msg,data}');
}
