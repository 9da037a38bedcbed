/**
 * A stand-in for 渝快办 that speaks CONTRACT.md over real HTTP: signed requests, the
 * catalog, idempotent case intake, stage progression, signed webhooks with retries, and
 * injectable faults. Development and integration tests run against it; nothing in it is
 * for production.
 *
 * Determinism: faults draw from a seeded PRNG and stages move only on `advance()` unless
 * `stepMs` is set, so a test sees the same behaviour on every run.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotFoundError } from '../../domain/errors.js';
import type { CatalogItem } from '../platform.port.js';
import { createNonceMemory, createSandboxRuntime, envelopeSender, listen, sandboxRunTag, type SandboxFaults, serveApiRequest } from '../sandbox.kit.js';
import { serveFaultControl } from '../sandbox-faults.route.js';
import { canonicalJson } from '../wire.kit.js';
import { YUKUAIBAN_CATALOG } from './yukuaiban.catalog.js';
import { itemToWire } from './yukuaiban.mapper.js';
import {
  checkYukuaibanSignature,
  newYukuaibanNonce,
  signedYukuaibanHeaders,
  YKB_HEADER,
  YKB_TIMESTAMP_TOLERANCE_MS,
} from './yukuaiban.signature.js';
import {
  describeIssues,
  millisToYkbTime,
  ykbCasesBatchRequestSchema,
  ykbItemsBatchRequestSchema,
  ykbSubmitCaseSchema,
  YKB_API,
  YKB_CODE,
  YKB_MAX_BATCH,
  YKB_MAX_KEYWORD_LENGTH,
  YKB_MAX_PAGE_SIZE,
  YKB_OK,
  type YkbCase,
  type YkbEnvelope,
  type YkbItem,
  type YkbStageCode,
  type YkbWebhook,
} from './yukuaiban.wire.js';

/** Fault injection (see sandbox.kit): errors are 500 or 503 with a business envelope, 429 carries Retry-After. */
export type YukuaibanSandboxFaults = SandboxFaults;

export interface YukuaibanSandboxOptions {
  /** 0 or absent: any free port. */
  port?: number;
  host?: string;
  appKey: string;
  appSecret: string;
  /** Where stage changes are pushed; no pushes without it. */
  webhookUrl?: string;
  /** Path the pushes are signed with, when the receiver sees another path than the URL's (a rewriting proxy). */
  webhookPath?: string;
  /** Delivery attempts per event before giving up (default 4). */
  webhookAttempts?: number;
  /** Wait before the second attempt; doubles after each failure (default 200 ms). */
  webhookRetryDelayMs?: number;
  webhookTimeoutMs?: number;
  /** Each case moves one stage every stepMs; 0 or absent: only `advance()` moves cases. */
  stepMs?: number;
  /** Cases for these items are refused (09 不予受理) instead of accepted. */
  rejectItemCodes?: readonly string[];
  rejectReasons?: readonly string[];
  faults?: YukuaibanSandboxFaults;
  seed?: number;
  now?: () => number;
  catalog?: readonly CatalogItem[];
  toleranceMs?: number;
}

export interface WebhookDelivery {
  eventId: string;
  platformCaseId: string;
  stage: YkbStageCode;
  attempt: number;
  at: string;
  outcome: 'DELIVERED' | 'FAILED' | 'GAVE_UP';
  status?: number;
  error?: string;
}

export interface YukuaibanSandbox {
  url: string;
  port: number;
  close(): Promise<void>;
  setFaults(faults: YukuaibanSandboxFaults): void;
  /** Moves one case, or every open case, one stage now; returns the cases that moved. */
  advance(platformCaseId?: string): YkbCase[];
  /** The platform's own records, in its wire format, oldest first. */
  cases(): YkbCase[];
  webhookLog(): WebhookDelivery[];
  /** Resolves when every push queued so far was delivered or given up. */
  webhooksSettled(): Promise<void>;
  /** Requests received per endpoint (e.g. `GET /api/v1/cases/{id}`), faulted ones included. */
  requestCounts(): Record<string, number>;
  resetCounts(): void;
  /** Adds an item or replaces the one with its code, as the platform's catalog team publishing a revision. */
  publishItem(item: CatalogItem): void;
}

type Endpoint =
  | 'GET /api/v1/items'
  | 'POST /api/v1/items/batch'
  | 'POST /api/v1/cases'
  | 'POST /api/v1/cases/batch'
  | 'GET /api/v1/cases/{id}';

interface Reply {
  status: number;
  envelope: YkbEnvelope;
  headers?: Record<string, string>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;
const DEFAULT_REJECT_REASONS = ['申请材料不齐全或者不符合法定形式，且未在规定期限内补正'];

const NEXT_STAGE: Record<YkbStageCode, YkbStageCode | null> = {
  '01': '02',
  '02': '03',
  '03': '04',
  '04': '05',
  '05': '06',
  '06': '07',
  '07': null,
  '09': null,
};

const STAGE_NOTES: Record<YkbStageCode, string> = {
  '01': '已提交',
  '02': '已受理',
  '03': '审核中',
  '04': '准予许可',
  '05': '已制证',
  '06': '已盖章',
  '07': '已出件',
  '09': '不予受理',
};

function ok(data: unknown, status = 200): Reply {
  return { status, envelope: { code: YKB_OK, msg: 'success', data } };
}

function fail(status: number, code: string, msg: string, headers?: Record<string, string>): Reply {
  return { status, envelope: { code, msg }, ...(headers ? { headers } : {}) };
}

function matchRoute(method: string, pathname: string): { endpoint: Endpoint; id?: string } | null {
  if (method === 'GET' && pathname === YKB_API.items) return { endpoint: 'GET /api/v1/items' };
  if (method === 'POST' && pathname === YKB_API.itemsBatch) return { endpoint: 'POST /api/v1/items/batch' };
  if (method === 'POST' && pathname === YKB_API.cases) return { endpoint: 'POST /api/v1/cases' };
  if (method === 'POST' && pathname === YKB_API.casesBatch) return { endpoint: 'POST /api/v1/cases/batch' };
  const caseMatch = /^\/api\/v1\/cases\/([^/]+)$/.exec(pathname);
  if (method === 'GET' && caseMatch) return { endpoint: 'GET /api/v1/cases/{id}', id: caseMatch[1]! };
  return null;
}

export async function startYukuaibanSandbox(opts: YukuaibanSandboxOptions): Promise<YukuaibanSandbox> {
  const host = opts.host ?? '127.0.0.1';
  const now = opts.now ?? Date.now;
  const toleranceMs = opts.toleranceMs ?? YKB_TIMESTAMP_TOLERANCE_MS;
  const rt = createSandboxRuntime(opts.seed ?? 20210412, opts.faults);
  // Ids differ between sandbox runs, restarts included, so a long-lived gateway never confuses the cases of two runs.
  const instance = sandboxRunTag();
  const rejectItems = new Set(opts.rejectItemCodes ?? []);
  const rejectReasons = [...(opts.rejectReasons ?? DEFAULT_REJECT_REASONS)];
  const webhookAttempts = opts.webhookAttempts ?? 4;
  const webhookRetryDelayMs = opts.webhookRetryDelayMs ?? 200;
  const webhookTimeoutMs = opts.webhookTimeoutMs ?? 5000;
  const webhookTarget = opts.webhookUrl ? new URL(opts.webhookUrl) : null;
  const webhookSignPath = opts.webhookPath ?? (webhookTarget ? `${webhookTarget.pathname}${webhookTarget.search}` : '');

  const catalog: YkbItem[] = (opts.catalog ?? YUKUAIBAN_CATALOG).map(itemToWire).sort((a, b) => a.sxbm.localeCompare(b.sxbm));
  const catalogByCode = new Map(catalog.map((item) => [item.sxbm, item]));

  let caseSeq = 0;
  let eventSeq = 0;
  const cases = new Map<string, YkbCase>();
  const byBusinessNo = new Map<string, string>();
  /** The request bytes as received: compared by content only when the key comes again, which is rare, instead of canonicalising every intake. */
  const byIdempotencyKey = new Map<string, { raw: Buffer; platformCaseId: string }>();
  const nonces = createNonceMemory(2 * toleranceMs);
  const stepTimers = new Map<string, NodeJS.Timeout>();
  const deliveryChains = new Map<string, Promise<void>>();
  const pendingDeliveries = new Set<Promise<void>>();
  const deliveries: WebhookDelivery[] = [];
  const lifetime = new AbortController();

  const { pause } = rt;

  function authenticate(req: IncomingMessage, raw: Buffer): Reply | null {
    if (req.headers[YKB_HEADER.appKey] !== opts.appKey) return fail(401, YKB_CODE.unknownAppKey, 'AppKey 无效');
    const at = now();
    const check = checkYukuaibanSignature({
      secret: opts.appSecret,
      method: req.method ?? '',
      pathWithQuery: req.url ?? '',
      headers: req.headers,
      body: raw,
      now: at,
      toleranceMs,
    });
    if (!check.ok) {
      const code = check.reason === 'STALE_TIMESTAMP' ? YKB_CODE.staleTimestamp : YKB_CODE.badSignature;
      return fail(401, code, `认证失败：${check.detail}`);
    }
    if (!nonces.claim(check.nonce, at)) return fail(401, YKB_CODE.replayedNonce, 'nonce 已使用');
    return null;
  }

  function parseJson(raw: Buffer): { json: unknown } | Reply {
    try {
      return { json: JSON.parse(raw.toString('utf8')) };
    } catch {
      return fail(400, YKB_CODE.badParams, '请求体不是合法 JSON');
    }
  }

  function searchItems(url: URL): Reply {
    const keyword = (url.searchParams.get('keyword') ?? '').trim();
    const page = Number(url.searchParams.get('page') ?? '1');
    const size = Number(url.searchParams.get('size') ?? '20');
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(size) || size < 1 || size > YKB_MAX_PAGE_SIZE || keyword.length > YKB_MAX_KEYWORD_LENGTH) {
      return fail(400, YKB_CODE.badParams, `参数错误：page ≥ 1，1 ≤ size ≤ ${YKB_MAX_PAGE_SIZE}，keyword ≤ ${YKB_MAX_KEYWORD_LENGTH} 字`);
    }
    const matching = keyword
      ? catalog.filter((item) => [item.sxbm, item.sxmc, item.fdsxmc, item.zrdw].some((field) => field.includes(keyword)))
      : catalog;
    return ok({ list: matching.slice((page - 1) * size, page * size), total: matching.length, page, size });
  }

  function batch<T>(keys: string[], lookup: (key: string) => T | undefined): Reply {
    if (keys.length > YKB_MAX_BATCH) return fail(400, YKB_CODE.batchTooLarge, `单次最多 ${YKB_MAX_BATCH} 个`);
    const list = [...new Set(keys)].map(lookup).filter((found): found is T => found !== undefined);
    return ok({ list });
  }

  function submitCase(req: IncomingMessage, json: unknown, raw: Buffer): Reply {
    const key = req.headers[YKB_HEADER.idempotencyKey];
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
      return fail(400, YKB_CODE.badParams, `缺少或无效的 ${YKB_HEADER.idempotencyKey}`);
    }
    const parsed = ykbSubmitCaseSchema.safeParse(json);
    if (!parsed.success) return fail(400, YKB_CODE.badParams, `参数错误：${describeIssues(parsed.error)}`);
    const earlier = byIdempotencyKey.get(key);
    if (earlier) {
      if (canonicalJson(JSON.parse(earlier.raw.toString('utf8'))) !== canonicalJson(json)) {
        return fail(409, YKB_CODE.idempotencyConflict, '幂等键已用于另一请求体');
      }
      return ok(structuredClone(cases.get(earlier.platformCaseId)));
    }
    const submission = parsed.data;
    if (!catalogByCode.has(submission.sxbm)) return fail(404, YKB_CODE.itemNotFound, `事项不存在：${submission.sxbm}`);
    if (byBusinessNo.has(submission.ywbh)) return fail(409, YKB_CODE.duplicateBusinessNo, `业务编号已存在：${submission.ywbh}`);
    const at = now();
    caseSeq += 1;
    const bjbh = `YKB${millisToYkbTime(at).slice(0, 8)}${instance}${String(caseSeq).padStart(6, '0')}`;
    const sj = millisToYkbTime(at);
    const record: YkbCase = {
      bjbh,
      ywbh: submission.ywbh,
      sxbm: submission.sxbm,
      zt: '01',
      jdjg: null,
      byslyy: [],
      gxsj: sj,
      lsjl: [{ zt: '01', sj, bz: STAGE_NOTES['01'] }],
    };
    cases.set(bjbh, record);
    byBusinessNo.set(record.ywbh, bjbh);
    byIdempotencyKey.set(key, { raw, platformCaseId: bjbh });
    scheduleStep(record);
    // No copy: the reply is serialised before this turn of the event loop ends, and only a timer (a stage step) changes a case.
    return ok(record, 201);
  }

  async function route(req: IncomingMessage, url: URL, raw: Buffer): Promise<Reply> {
    const matched = matchRoute(req.method ?? '', url.pathname)!;
    const refused = authenticate(req, raw);
    if (refused) return refused;
    if (matched.endpoint === 'GET /api/v1/items') return searchItems(url);
    if (matched.endpoint === 'GET /api/v1/cases/{id}') {
      const found = cases.get(decodeURIComponent(matched.id!));
      return found ? ok(structuredClone(found)) : fail(404, YKB_CODE.caseNotFound, '办件不存在');
    }
    const parsed = parseJson(raw);
    if (!('json' in parsed)) return parsed;
    if (matched.endpoint === 'POST /api/v1/items/batch') {
      const request = ykbItemsBatchRequestSchema.safeParse(parsed.json);
      if (!request.success) return fail(400, YKB_CODE.badParams, `参数错误：${describeIssues(request.error)}`);
      return batch(request.data.sxbmList, (code) => catalogByCode.get(code));
    }
    if (matched.endpoint === 'POST /api/v1/cases/batch') {
      const request = ykbCasesBatchRequestSchema.safeParse(parsed.json);
      if (!request.success) return fail(400, YKB_CODE.badParams, `参数错误：${describeIssues(request.error)}`);
      return batch(request.data.bjbhList, (id) => {
        const found = cases.get(id);
        return found && structuredClone(found);
      });
    }
    return submitCase(req, parsed.json, raw);
  }

  const send = envelopeSender(rt.isClosed);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (await serveFaultControl(req, res, rt)) return;
    return serveApiRequest(req, res, {
      ...rt,
      match: matchRoute,
      maxBodyBytes: MAX_BODY_BYTES,
      send,
      replies: {
        tooLarge: () => fail(413, YKB_CODE.bodyTooLarge, `请求体超过 ${MAX_BODY_BYTES} 字节`),
        notFound: () => fail(404, YKB_CODE.notFound, '接口不存在'),
        rateLimited: (retryAfter) => fail(429, YKB_CODE.rateLimited, '请求过于频繁', { 'retry-after': retryAfter }),
        failure: (status) => (status === 500 ? fail(500, YKB_CODE.internal, '系统内部错误') : fail(503, YKB_CODE.unavailable, '服务暂不可用')),
      },
      route: (req, url, raw) => route(req, url, raw),
    });
  }

  function scheduleStep(record: YkbCase): void {
    clearTimeout(stepTimers.get(record.bjbh));
    stepTimers.delete(record.bjbh);
    if (!opts.stepMs || rt.isClosed() || NEXT_STAGE[record.zt] === null) return;
    const timer = setTimeout(() => {
      stepTimers.delete(record.bjbh);
      advanceCase(record);
    }, opts.stepMs);
    timer.unref();
    stepTimers.set(record.bjbh, timer);
  }

  function advanceCase(record: YkbCase): boolean {
    const next = record.zt === '01' && rejectItems.has(record.sxbm) ? '09' : NEXT_STAGE[record.zt];
    if (next === null || rt.isClosed()) return false;
    const sj = millisToYkbTime(now());
    if (next === '04') record.jdjg = '1';
    if (next === '09') record.byslyy = [...rejectReasons];
    record.zt = next;
    record.gxsj = sj;
    record.lsjl.push({ zt: next, sj, bz: next === '09' ? rejectReasons.join('；') : STAGE_NOTES[next] });
    pushWebhook(record);
    scheduleStep(record);
    return true;
  }

  function pushWebhook(record: YkbCase): void {
    if (!opts.webhookUrl) return;
    eventSeq += 1;
    const event: YkbWebhook = {
      tsbh: `YKBE${instance}${String(eventSeq).padStart(8, '0')}`,
      bjbh: record.bjbh,
      ywbh: record.ywbh,
      sxbm: record.sxbm,
      zt: record.zt,
      jdjg: record.jdjg,
      byslyy: [...record.byslyy],
      bgsj: record.gxsj,
    };
    // One chain per case keeps a case's pushes in stage order; different cases do not wait for each other.
    const delivery = (deliveryChains.get(record.bjbh) ?? Promise.resolve()).then(() => deliver(opts.webhookUrl!, event));
    deliveryChains.set(record.bjbh, delivery);
    pendingDeliveries.add(delivery);
    void delivery.then(() => pendingDeliveries.delete(delivery));
  }

  /** Each attempt is signed afresh: a receiver that already claimed the first nonce must still accept the retry. */
  async function deliver(target: string, event: YkbWebhook): Promise<void> {
    const body = JSON.stringify(event);
    const log = (attempt: number, outcome: WebhookDelivery['outcome'], extra: Partial<WebhookDelivery> = {}) =>
      deliveries.push({ eventId: event.tsbh, platformCaseId: event.bjbh, stage: event.zt, attempt, at: new Date(now()).toISOString(), outcome, ...extra });
    for (let attempt = 1; attempt <= webhookAttempts; attempt += 1) {
      if (rt.isClosed()) return;
      try {
        const response = await fetch(target, {
          method: 'POST',
          headers: {
            'content-type': 'application/json; charset=utf-8',
            ...signedYukuaibanHeaders({
              appKey: opts.appKey,
              secret: opts.appSecret,
              method: 'POST',
              pathWithQuery: webhookSignPath,
              body,
              now: now(),
              nonce: newYukuaibanNonce(),
            }),
          },
          body,
          signal: AbortSignal.any([lifetime.signal, AbortSignal.timeout(webhookTimeoutMs)]),
        });
        await response.arrayBuffer();
        if (response.ok) {
          log(attempt, 'DELIVERED', { status: response.status });
          return;
        }
        log(attempt, 'FAILED', { status: response.status });
      } catch (error) {
        if (rt.isClosed()) return;
        log(attempt, 'FAILED', { error: error instanceof Error ? error.message : String(error) });
      }
      if (attempt < webhookAttempts) await pause(webhookRetryDelayMs * 2 ** (attempt - 1));
    }
    if (!rt.isClosed()) log(webhookAttempts, 'GAVE_UP');
  }

  const server = await listen((req, res) => {
    handle(req, res).catch(() => send(res, fail(500, YKB_CODE.internal, '系统内部错误')));
  }, { port: opts.port, host });
  const { port } = server;
  let closing: Promise<void> | undefined;

  return {
    url: server.url,
    port,
    publishItem(item) {
      const wire = itemToWire(item);
      const index = catalog.findIndex((existing) => existing.sxbm === wire.sxbm);
      if (index >= 0) {
        catalog[index] = wire;
      } else {
        catalog.push(wire);
        catalog.sort((a, b) => a.sxbm.localeCompare(b.sxbm));
      }
      catalogByCode.set(wire.sxbm, wire);
    },
    close() {
      closing ??= (async () => {
        rt.close();
        lifetime.abort();
        for (const timer of stepTimers.values()) clearTimeout(timer);
        stepTimers.clear();
        await server.stop();
        await Promise.allSettled([...pendingDeliveries]);
      })();
      return closing;
    },
    setFaults: rt.setFaults,
    advance(platformCaseId) {
      const targets = platformCaseId === undefined ? [...cases.values()] : [cases.get(platformCaseId)];
      if (targets[0] === undefined && platformCaseId !== undefined) {
        throw new NotFoundError('SANDBOX.CASE_NOT_FOUND', `渝快办沙箱没有办件 ${platformCaseId}`);
      }
      return targets.filter((record): record is YkbCase => record !== undefined && advanceCase(record)).map((record) => structuredClone(record));
    },
    cases: () => [...cases.values()].map((record) => structuredClone(record)),
    webhookLog: () => deliveries.map((entry) => ({ ...entry })),
    async webhooksSettled() {
      while (pendingDeliveries.size > 0) await Promise.allSettled([...pendingDeliveries]);
    },
    requestCounts: rt.requestCounts,
    resetCounts: rt.resetCounts,
  };
}
