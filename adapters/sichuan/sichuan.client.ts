/**
 * PlatformPort over the 四川一体化 contract (CONTRACT.md): signs every request with
 * HMAC-SM3, verifies every response, maps 四川 field names, times and status codes
 * to the port's model, and turns every failure into one of the three platform errors.
 */
import type { z } from 'zod';
import { InputError } from '../../domain/errors.js';
import { CircuitBreaker, CircuitOpenError, type CircuitBreakerOptions } from '../circuit-breaker.js';
import type { StreamFetch } from '../file-transfer.kit.js';
import { chunk, sleep, type HttpAnswer, type HttpFetch } from '../http-client.kit.js';
import { describeZodIssues } from '../wire.kit.js';
import { PlatformBadResponseError, PlatformRejectedError, PlatformUnavailableError } from '../platform.errors.js';
import type {
  CatalogItem,
  CatalogPage,
  PlatformCaseRecord,
  PlatformFile,
  PlatformFileReceipt,
  PlatformFileUpload,
  PlatformPort,
  SearchItemsQuery,
  SubmitCaseRequest,
} from '../platform.port.js';
import {
  CASE_STATUS_STAGE,
  DECISION_RESULT,
  ITEM_STATE_OF_CODE,
  MATERIAL_FORM_CODE,
  MATERIAL_FORM_OF_CODE,
  MAX_BATCH,
  MAX_KEYWORD_LENGTH,
  RTN,
  SCOPE_OF_CODE,
  SICHUAN_ENDPOINTS,
  UNSIGNED_RTN_CODES,
  caseBatchGetResponseSchema,
  caseGetResponseSchema,
  caseSubmitRequestSchema,
  caseSubmitResponseSchema,
  itemBatchGetResponseSchema,
  itemQueryResponseSchema,
  responseEnvelopeSchema,
  type CaseSubmitRequest,
  type SichuanEndpoint,
  type WireCase,
  type WireItem,
} from './sichuan.contract.js';
import {
  SIGN_TYPE,
  formatWireTime,
  newNonce,
  requestCanonical,
  responseCanonical,
  signatureMatches,
  sm3Sign,
  wireTimeToIso,
} from './sichuan.signature.js';

import { toCertificate } from './sichuan-files.contract.js';
import { downloadSichuanFile, uploadSichuanFile, type SichuanFileContext } from './sichuan-files.client.js';

export { verifySichuanWebhook, type VerifySichuanWebhookOptions } from './sichuan.webhook.js';

const SYSTEM = 'SICHUAN';
const SICHUAN_ITEM_CODE = /^51\d{4}-\d{5}$/;

export interface SichuanClientOptions {
  baseUrl: string;
  appId: string;
  appSecret: string;
  /** Per attempt, covering the response headers and the body. */
  timeoutMs: number;
  fetch?: HttpFetch;
  /** Extra attempts for idempotent reads (default 2). Case submission is never retried here. */
  retries?: number;
  /** First backoff delay, doubled per attempt (default 100 ms). */
  retryBaseMs?: number;
  /**
   * A Retry-After longer than this is not waited out inside a call (default 5000 ms):
   * the error carries it to the caller, whose job queue can wait without holding a request.
   */
  maxRetryWaitMs?: number;
  /** Defaults: 5 consecutive unavailabilities open the circuit for 30 s; the API calls and the file transfers each have a breaker of these options. */
  circuitBreaker?: CircuitBreakerOptions;
  now?: () => number;
  nonce?: () => string;
  /**
   * Carries the file transfers, which stream (`fetch` may be a transport that reads whole
   * answers into memory). Default: the global fetch, looked up per call.
   */
  fileFetch?: StreamFetch;
}

type CallMode = 'read' | 'write';

export class SichuanClient implements PlatformPort {
  readonly region = 'SICHUAN' as const;
  private readonly baseUrl: string;
  private readonly fetchImpl: HttpFetch;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly maxRetryWaitMs: number;
  private readonly now: () => number;
  private readonly nonce: () => string;
  private readonly breaker: CircuitBreaker;
  /** File transfers fail on their own account (a hall's link, a body dropped mid-file): their breaker never cuts the API calls off, nor theirs them. */
  private readonly fileBreaker: CircuitBreaker;
  private readonly files: SichuanFileContext;

  constructor(private readonly options: SichuanClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    // Looked up per call so that interceptors installed after construction (nock) still apply.
    this.fetchImpl = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.retries = options.retries ?? 2;
    this.retryBaseMs = options.retryBaseMs ?? 100;
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.nonce = options.nonce ?? newNonce;
    this.breaker = new CircuitBreaker(
      options.circuitBreaker ?? { failureThreshold: 5, resetAfterMs: 30_000, now: this.now },
    );
    this.fileBreaker = new CircuitBreaker(options.circuitBreaker ?? { failureThreshold: 5, resetAfterMs: 30_000, now: this.now });
    this.files = {
      ...options,
      baseUrl: this.baseUrl,
      fetch: options.fileFetch ?? ((url, init) => globalThis.fetch(url, init)),
      now: this.now,
      nonce: this.nonce,
      breaker: this.fileBreaker,
      retries: this.retries,
      retryBaseMs: this.retryBaseMs,
      readEnvelope: (endpoint, text, nonce, schema) => this.readEnvelope(endpoint, text, nonce, schema),
      statusError,
    };
  }

  /** Retried on unavailability like a read: the same (businessNo, sha256) stores nothing new. */
  uploadFile(upload: PlatformFileUpload): Promise<PlatformFileReceipt> {
    return uploadSichuanFile(this.files, upload);
  }

  downloadFile(fileId: string): Promise<PlatformFile> {
    return downloadSichuanFile(this.files, fileId);
  }

  get circuitState() {
    return this.breaker.state;
  }

  /** The file transfers' breaker (the API calls' is circuitState). */
  get fileCircuitState() {
    return this.fileBreaker.state;
  }

  async getItemsByCodes(codes: readonly string[]): Promise<(CatalogItem | null)[]> {
    // Codes of another region, or no code at all, cannot be on this platform: no call for them.
    const wanted = [...new Set(codes.filter((code) => SICHUAN_ITEM_CODE.test(code)))];
    const found = new Map<string, CatalogItem>();
    await Promise.all(
      chunk(wanted, MAX_BATCH).map(async (itemCodes) => {
        const asked = new Set(itemCodes);
        const schema = itemBatchGetResponseSchema.refine(
          ({ itemList }) => itemList.every((wire) => asked.has(wire.itemCode)),
          'itemList holds an item that was not asked for',
        );
        const { itemList } = await this.call(SICHUAN_ENDPOINTS.itemBatchGet, { itemCodes }, schema, 'read');
        for (const wire of itemList) found.set(wire.itemCode, toCatalogItem(wire));
      }),
    );
    return codes.map((code) => found.get(code) ?? null);
  }

  async searchItems({ search, offset, limit }: SearchItemsQuery): Promise<CatalogPage> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(limit) || limit < 0) {
      throw new InputError('INPUT.INVALID_PAGING', `分页参数不正确: offset=${offset}, limit=${limit}`);
    }
    const keyword = search?.trim() || undefined;
    if (keyword && keyword.length > MAX_KEYWORD_LENGTH) {
      throw new InputError('INPUT.SEARCH_TOO_LONG', `搜索关键字不能超过 ${MAX_KEYWORD_LENGTH} 个字符`);
    }
    const query = (pageNo: number, pageSize: number) =>
      this.call(
        SICHUAN_ENDPOINTS.itemQuery,
        { keyword, pageNo, pageSize },
        itemQueryResponseSchema.refine((page) => page.itemList.length <= pageSize, 'itemList is longer than pageSize'),
        'read',
      );

    if (limit === 0) {
      const { totalCount } = await query(1, 1);
      return { items: [], total: totalCount };
    }
    const plan = coveringPage(offset, limit) ?? { pageNo: Math.floor(offset / MAX_BATCH) + 1, pageSize: MAX_BATCH };
    const collected: WireItem[] = [];
    let total = 0;
    for (let pageNo = plan.pageNo; ; pageNo++) {
      const page = await query(pageNo, plan.pageSize);
      total = page.totalCount;
      collected.push(...page.itemList);
      const end = pageNo * plan.pageSize;
      if (page.itemList.length < plan.pageSize || end >= offset + limit || end >= total) break;
    }
    const skip = offset - (plan.pageNo - 1) * plan.pageSize;
    return { items: collected.slice(skip, skip + limit).map(toCatalogItem), total };
  }

  async submitCase(request: SubmitCaseRequest): Promise<PlatformCaseRecord> {
    const body = toWireSubmission(request);
    const schema = caseSubmitResponseSchema.refine(
      ({ case: wire }) => wire.businessNo === body.businessNo && wire.itemCode === body.itemCode,
      'case is not the one submitted',
    );
    const { case: wire } = await this.call(SICHUAN_ENDPOINTS.caseSubmit, body, schema, 'write');
    return toCaseRecord(wire);
  }

  async getCasesByIds(ids: readonly string[]): Promise<(PlatformCaseRecord | null)[]> {
    const wanted = [...new Set(ids.filter((id) => id.length > 0))];
    const found = new Map<string, PlatformCaseRecord>();
    await Promise.all(
      chunk(wanted, MAX_BATCH).map(async (caseIds) => {
        const asked = new Set(caseIds);
        const schema = caseBatchGetResponseSchema.refine(
          ({ caseList }) => caseList.every((wire) => asked.has(wire.caseId)),
          'caseList holds a case that was not asked for',
        );
        const { caseList } = await this.call(SICHUAN_ENDPOINTS.caseBatchGet, { caseIds }, schema, 'read');
        for (const wire of caseList) found.set(wire.caseId, toCaseRecord(wire));
      }),
    );
    return ids.map((id) => found.get(id) ?? null);
  }

  /** One case, null when the platform does not know it. */
  async getCase(platformCaseId: string): Promise<PlatformCaseRecord | null> {
    try {
      const schema = caseGetResponseSchema.refine((body) => body.case.caseId === platformCaseId, 'case is not the one asked for');
      const { case: wire } = await this.call(SICHUAN_ENDPOINTS.caseGet, { caseId: platformCaseId }, schema, 'read');
      return toCaseRecord(wire);
    } catch (error) {
      if (error instanceof PlatformRejectedError && error.platformCode === RTN.CASE_NOT_FOUND) return null;
      throw error;
    }
  }

  /**
   * One logical call: the body is serialised once, each attempt signs it afresh (new
   * nonce and time — a re-sent nonce would be refused as a replay). Only reads retry:
   * a submission that timed out may have been taken, and only its idempotency key,
   * resent by the caller, makes repeating it safe.
   */
  private async call<S extends z.ZodType>(endpoint: SichuanEndpoint, body: unknown, schema: S, mode: CallMode): Promise<z.output<S>> {
    const bodyText = JSON.stringify(body);
    const attempts = mode === 'read' ? 1 + this.retries : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.breaker.run(
          () => this.exchange(endpoint, bodyText, schema),
          (error) => error instanceof PlatformUnavailableError,
        );
      } catch (error) {
        if (error instanceof CircuitOpenError) {
          throw new PlatformUnavailableError(SYSTEM, `四川一体化平台暂不可用（熔断中）: ${endpoint}`, {
            cause: error,
            retryAfterMs: error.retryAfterMs,
          });
        }
        const retryable = error instanceof PlatformUnavailableError || error instanceof PlatformBadResponseError;
        if (!retryable || attempt >= attempts) throw error;
        const backoff = this.retryBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
        const wait = Math.max(backoff, error instanceof PlatformUnavailableError ? (error.retryAfterMs ?? 0) : 0);
        if (wait > this.maxRetryWaitMs) throw error;
        await sleep(wait);
      }
    }
  }

  private async exchange<S extends z.ZodType>(endpoint: SichuanEndpoint, bodyText: string, schema: S): Promise<z.output<S>> {
    const { appId, appSecret, timeoutMs } = this.options;
    const nonce = this.nonce();
    const requestTime = formatWireTime(this.now());
    const sign = sm3Sign(appSecret, requestCanonical({ appId, nonce, requestTime }, bodyText));
    const payload = JSON.stringify({ head: { appId, requestTime, nonce, signType: SIGN_TYPE, sign }, body: bodyText });
    // Not AbortSignal.timeout(): its timer cannot be cleared, and would raise a TimeoutError long after every answer.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException(`${endpoint} timed out after ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    const signal = deadline.signal;

    let text: string;
    try {
      const response = await this.fetchImpl(`${this.baseUrl}${endpoint}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', accept: 'application/json' },
        body: payload,
        signal,
        // A signed API that redirects is misconfigured or intercepted; never follow it.
        redirect: 'manual',
      });
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => undefined);
        throw statusError(endpoint, response, this.now());
      }
      text = await response.text();
    } catch (error) {
      if (isPlatformError(error)) throw error;
      const what = signal.aborted ? `无响应（超过 ${timeoutMs} ms）` : '网络错误';
      throw new PlatformUnavailableError(SYSTEM, `四川一体化平台${what}: ${endpoint}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    return this.readEnvelope(endpoint, text, nonce, schema);
  }

  private readEnvelope<S extends z.ZodType>(endpoint: string, text: string, nonce: string, schema: S): z.output<S> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw badResponse(`${endpoint}: response is not JSON`, error);
    }
    const envelope = responseEnvelopeSchema.safeParse(json);
    if (!envelope.success) throw badResponse(`${endpoint}: response envelope: ${describeIssues(envelope.error)}`);
    const { head, body } = envelope.data;

    if (head.sign === '') {
      if (!UNSIGNED_RTN_CODES.has(head.rtnCode)) throw badResponse(`${endpoint}: unsigned response with rtnCode ${head.rtnCode}`);
    } else {
      if (!signatureMatches(this.options.appSecret, responseCanonical(head, body), head.sign)) {
        throw badResponse(`${endpoint}: response signature does not verify`);
      }
      // The echoed nonce ties the signed answer to this request, so an old one cannot be replayed.
      if (head.nonce !== nonce) throw badResponse(`${endpoint}: response answers another request (nonce ${head.nonce})`);
    }

    if (head.rtnCode === RTN.SYSTEM_ERROR) {
      throw new PlatformUnavailableError(SYSTEM, `四川一体化平台系统异常: ${endpoint}: ${head.rtnMsg}`);
    }
    if (head.rtnCode !== RTN.OK) {
      throw new PlatformRejectedError(SYSTEM, head.rtnCode, `四川一体化平台拒绝请求 ${endpoint}: ${head.rtnCode} ${head.rtnMsg}`);
    }

    let bodyJson: unknown;
    try {
      bodyJson = JSON.parse(body);
    } catch (error) {
      throw badResponse(`${endpoint}: response body is not JSON`, error);
    }
    const parsed = schema.safeParse(bodyJson);
    if (!parsed.success) throw badResponse(`${endpoint}: response body: ${describeIssues(parsed.error)}`);
    return parsed.data;
  }
}

function statusError(endpoint: string, response: HttpAnswer, now: number): Error {
  const { status } = response;
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now);
    return new PlatformUnavailableError(SYSTEM, `四川一体化平台限流 (HTTP 429): ${endpoint}`, { retryAfterMs });
  }
  if (status >= 500) return new PlatformUnavailableError(SYSTEM, `四川一体化平台不可用 (HTTP ${status}): ${endpoint}`);
  if (status >= 400) return new PlatformRejectedError(SYSTEM, `HTTP_${status}`, `四川一体化平台拒绝请求 (HTTP ${status}): ${endpoint}`);
  return badResponse(`${endpoint}: unexpected HTTP ${status}`);
}

/**
 * Retry-After is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3). Kept apart from
 * http-client.kit's parseRetryAfter: this one parses the date untrimmed, which differs for
 * an ISO date padded with whitespace, and the adapter's behaviour must not move.
 */
function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function isPlatformError(error: unknown): boolean {
  return (
    error instanceof PlatformUnavailableError ||
    error instanceof PlatformRejectedError ||
    error instanceof PlatformBadResponseError
  );
}

function badResponse(message: string, cause?: unknown): PlatformBadResponseError {
  return new PlatformBadResponseError(SYSTEM, `四川一体化平台响应不符合约定: ${message}`, cause === undefined ? undefined : { cause });
}

function describeIssues(error: z.ZodError): string {
  return describeZodIssues(error, 3);
}

/**
 * The smallest page size (≥ limit, ≤ the platform's maximum) whose one page holds the
 * whole window, so that most offset/limit reads cost one call; null when none does.
 */
function coveringPage(offset: number, limit: number): { pageNo: number; pageSize: number } | null {
  for (let pageSize = limit; pageSize <= MAX_BATCH; pageSize++) {
    const index = Math.floor(offset / pageSize);
    if ((index + 1) * pageSize >= offset + limit) return { pageNo: index + 1, pageSize };
  }
  return null;
}

function toCatalogItem(wire: WireItem): CatalogItem {
  return {
    code: wire.itemCode,
    region: 'SICHUAN',
    name: wire.itemName,
    legalName: wire.legalItemName,
    department: wire.deptName,
    divisionCode: wire.areaCode,
    powerType: wire.powerType,
    legalLimitDays: wire.anticipateDay,
    promisedLimitDays: wire.promiseDay,
    materials: wire.materialList.map((m) => ({
      name: m.materialName,
      form: MATERIAL_FORM_OF_CODE[m.materialForm],
      copies: m.pageNum,
      required: m.isRequired === '1',
    })),
    scopes: [...new Set(wire.tbTypeList.map((code) => SCOPE_OF_CODE[code]))],
    sampleData: wire.isSample === '1',
    status: ITEM_STATE_OF_CODE[wire.itemState ?? '0'],
    statusRemark: wire.remark ?? null,
  };
}

function toCaseRecord(wire: WireCase): PlatformCaseRecord {
  return {
    platformCaseId: wire.caseId,
    region: 'SICHUAN',
    businessNo: wire.businessNo,
    itemCode: wire.itemCode,
    stage: CASE_STATUS_STAGE[wire.status],
    decision: wire.decisionResult === null ? null : DECISION_RESULT[wire.decisionResult],
    rejectReasons: wire.reasonList,
    updatedAt: wireTimeToIso(wire.updateTime),
    history: wire.processList.map((p) => ({
      stage: CASE_STATUS_STAGE[p.status],
      at: wireTimeToIso(p.statusTime),
      ...(p.remark ? { note: p.remark } : {}),
    })),
    certificate: wire.certificate ? toCertificate(wire.certificate) : null,
  };
}

function toWireSubmission(request: SubmitCaseRequest): CaseSubmitRequest {
  const submittedAt = Date.parse(request.submittedAt);
  if (Number.isNaN(submittedAt)) {
    throw new InputError('INPUT.INVALID_DATETIME', `申请时间格式不正确: ${JSON.stringify(request.submittedAt)}`);
  }
  const body: CaseSubmitRequest = {
    idempotentKey: request.idempotencyKey,
    businessNo: request.businessNo,
    itemCode: request.itemCode,
    applicantType: request.applicant.kind === 'PERSON' ? '1' : '2',
    applicantName: request.applicant.name,
    certNo: request.applicant.idNumber,
    contactName: request.contact.name,
    contactPhone: request.contact.phone,
    receiveWindowId: request.receivingWindowId,
    receiveAreaCode: request.receivingDivisionCode,
    applyTime: formatWireTime(submittedAt),
    materialList: request.materials.map((m) => ({
      materialName: m.name,
      materialForm: MATERIAL_FORM_CODE[m.form],
      pageNum: m.copies,
      ...(m.fileIds && m.fileIds.length > 0 ? { fileIds: [...m.fileIds] } : {}),
    })),
  };
  // Checked here so a bad request is the caller's InputError, not a platform rejection later.
  const checked = caseSubmitRequestSchema.safeParse(body);
  if (!checked.success) {
    throw new InputError('INPUT.INVALID_CASE_SUBMISSION', `办件报送内容不完整: ${describeIssues(checked.error)}`);
  }
  return checked.data;
}
