/**
 * A stand-in 四川一体化 platform: a real HTTP server speaking CONTRACT.md, so the
 * client, the jobs and the benchmarks meet the envelope, the signatures, the nonce
 * and time checks, idempotent intake, status progression, signed pushes and — on
 * request — the failures of a real regional platform.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { z } from 'zod';
import type { CatalogItem } from '../platform.port.js';
import { chanceOf, createNonceMemory, listen, readBody, sandboxRunTag, seededRandom, type SandboxFaults } from '../sandbox.kit.js';
import { serveFaultControl } from '../sandbox-faults.route.js';
import { canonicalJson, describeZodIssues } from '../wire.kit.js';
import { SICHUAN_CATALOG } from './sichuan.catalog.js';
import {
  ITEM_STATE_CODE,
  MATERIAL_FORM_CODE,
  RTN,
  RTN_MESSAGES,
  SCOPE_CODE,
  SICHUAN_ENDPOINTS,
  TIME_TOLERANCE_MS,
  caseBatchGetRequestSchema,
  caseGetRequestSchema,
  caseSubmitRequestSchema,
  itemBatchGetRequestSchema,
  itemQueryRequestSchema,
  requestEnvelopeSchema,
  type CaseStatus,
  type RtnCode,
  type SichuanEndpoint,
  type WireCase,
  type WireCaseEvent,
  type WireItem,
} from './sichuan.contract.js';
import {
  SIGN_TYPE,
  formatWireTime,
  newNonce,
  parseWireTime,
  requestCanonical,
  responseCanonical,
  signatureMatches,
  sm3Sign,
} from './sichuan.signature.js';

/** Fault injection (see sandbox.kit): errors are bare 500 or 503, 429 carries Retry-After. */
export type SichuanSandboxFaults = SandboxFaults;

export interface SichuanSandboxOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  appId: string;
  appSecret: string;
  /** Where every stage change is pushed, signed. No pushes without it. */
  webhookUrl?: string;
  /** Interval at which every open case moves one stage; undefined or 0: only advance() moves them. */
  stepMs?: number;
  /** Cases of these items end 不予受理 with reasons instead of being accepted. */
  rejectItemCodes?: string[];
  faults?: SichuanSandboxFaults;
  /** Seed of the fault PRNG, so one seed replays one sequence of faults. */
  seed?: number;
  now?: () => number;
}

export interface WebhookDelivery {
  eventId: string;
  caseId: string;
  status: CaseStatus;
  attempts: number;
  delivered: boolean;
  /** True once the sandbox stopped trying without a 2xx. */
  gaveUp: boolean;
  lastError?: string;
}

export interface SichuanSandbox {
  url: string;
  port: number;
  close(): Promise<void>;
  setFaults(faults: SichuanSandboxFaults): void;
  /**
   * Moves one case (or every open case) one stage now, and resolves once the pushes it
   * caused are delivered or given up — so a test needs no timers. Returns the cases moved.
   */
  advance(platformCaseId?: string): Promise<WireCase[]>;
  cases(): WireCase[];
  requestCounts(): Record<SichuanEndpoint, number>;
  resetCounts(): void;
  webhookDeliveries(): WebhookDelivery[];
}

const MAX_REQUEST_BYTES = 1024 * 1024;
const WEBHOOK_ATTEMPTS = 3;
const WEBHOOK_RETRY_MS = 200;
const WEBHOOK_TIMEOUT_MS = 5000;
const ENDPOINTS = new Set<string>(Object.values(SICHUAN_ENDPOINTS));

const NEXT_STATUS: Partial<Record<CaseStatus, CaseStatus>> = { SL: 'SH', SH: 'JD', JD: 'ZZ', ZZ: 'GZ', GZ: 'CJ' };

/** The jurisdiction-side steps of seed 004, as the platform labels them. */
const STATUS_REMARK: Record<CaseStatus, string> = {
  SB: '申报',
  SL: '受理',
  SH: '审核',
  JD: '准予许可决定',
  ZZ: '制作证照',
  GZ: '加盖印章',
  CJ: '出件',
  BYSL: '不予受理',
};

interface Answer {
  rtnCode: RtnCode;
  rtnMsg?: string;
  body?: unknown;
}

interface StoredCase {
  wire: WireCase;
  fingerprint: string;
}

export async function startSichuanSandbox(options: SichuanSandboxOptions): Promise<SichuanSandbox> {
  const now = options.now ?? Date.now;
  const host = options.host ?? '127.0.0.1';
  const random = seededRandom(options.seed ?? 1);
  const rejectItemCodes = new Set(options.rejectItemCodes ?? []);
  const catalog = new Map(SICHUAN_CATALOG.map((item) => [item.code, item]));
  const wireCatalog = SICHUAN_CATALOG.map(toWireItem);
  let faults: SichuanSandboxFaults = { ...options.faults };
  let counts = zeroCounts();
  // Ids differ between sandbox runs, restarts included: a counter alone would give a new case an old case's id.
  const run = sandboxRunTag();
  let caseSerial = 0;
  let closed = false;

  const casesById = new Map<string, StoredCase>();
  const casesByKey = new Map<string, StoredCase>();
  /** Remembers a nonce for as long as its request could still pass the time check. */
  const nonces = createNonceMemory(2 * TIME_TOLERANCE_MS);
  const deliveries: WebhookDelivery[] = [];
  const deliveryChains = new Map<string, Promise<void>>();
  const stopDeliveries = new AbortController();

  const chance = chanceOf(random);

  function envelope(answer: Answer, nonce: string, signed: boolean): string {
    // '&' is reserved by the canonical string; the message is for people, so a look-alike will do.
    const rtnMsg = (answer.rtnMsg ?? RTN_MESSAGES[answer.rtnCode]).replaceAll('&', '＆');
    const body = JSON.stringify(answer.body ?? {});
    const head = { rtnCode: answer.rtnCode, rtnMsg, responseTime: formatWireTime(now()), nonce, signType: SIGN_TYPE };
    const sign = signed ? sm3Sign(options.appSecret, responseCanonical(head, body)) : '';
    return JSON.stringify({ head: { ...head, sign }, body });
  }

  function answerRequest(endpoint: SichuanEndpoint, raw: string): string {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return envelope({ rtnCode: RTN.BAD_PARAMETER, rtnMsg: '参数错误: 报文不是合法 JSON' }, '', false);
    }
    const parsed = requestEnvelopeSchema.safeParse(json);
    if (!parsed.success) {
      return envelope({ rtnCode: RTN.BAD_PARAMETER, rtnMsg: `参数错误: 报文头 ${issues(parsed.error)}` }, '', false);
    }
    const { head, body } = parsed.data;
    if (head.appId !== options.appId) return envelope({ rtnCode: RTN.UNKNOWN_APP }, head.nonce, false);
    if (!signatureMatches(options.appSecret, requestCanonical(head, body), head.sign)) {
      return envelope({ rtnCode: RTN.BAD_SIGNATURE }, head.nonce, false);
    }
    if (Math.abs(now() - parseWireTime(head.requestTime)!) > TIME_TOLERANCE_MS) {
      return envelope({ rtnCode: RTN.STALE_REQUEST }, head.nonce, true);
    }
    if (!nonces.claim(head.nonce, now())) return envelope({ rtnCode: RTN.REPLAYED_NONCE }, head.nonce, true);
    let bodyJson: unknown;
    try {
      bodyJson = JSON.parse(body);
    } catch {
      return envelope({ rtnCode: RTN.BAD_PARAMETER, rtnMsg: '参数错误: body 不是合法 JSON' }, head.nonce, true);
    }
    let answer: Answer;
    try {
      answer = handle(endpoint, bodyJson);
    } catch (error) {
      answer = { rtnCode: RTN.SYSTEM_ERROR, rtnMsg: `系统异常: ${error instanceof Error ? error.message : String(error)}` };
    }
    return envelope(answer, head.nonce, true);
  }

  function handle(endpoint: SichuanEndpoint, body: unknown): Answer {
    switch (endpoint) {
      case SICHUAN_ENDPOINTS.itemQuery:
        return validated(itemQueryRequestSchema, body, ({ keyword, pageNo, pageSize }) => {
          const matches = keyword
            ? wireCatalog.filter((item) =>
                [item.itemCode, item.itemName, item.legalItemName, item.deptName].some((field) => field.includes(keyword)),
              )
            : wireCatalog;
          const start = (pageNo - 1) * pageSize;
          return { rtnCode: RTN.OK, body: { totalCount: matches.length, pageNo, pageSize, itemList: matches.slice(start, start + pageSize) } };
        });
      case SICHUAN_ENDPOINTS.itemBatchGet:
        return validated(itemBatchGetRequestSchema, body, ({ itemCodes }) => {
          const byCode = new Map(wireCatalog.map((item) => [item.itemCode, item]));
          const itemList = [...new Set(itemCodes)].flatMap((code) => byCode.get(code) ?? []);
          return { rtnCode: RTN.OK, body: { itemList } };
        });
      case SICHUAN_ENDPOINTS.caseSubmit:
        return validated(caseSubmitRequestSchema, body, (submission) => {
          const fingerprint = canonicalJson(submission);
          const existing = casesByKey.get(submission.idempotentKey);
          if (existing) {
            if (existing.fingerprint !== fingerprint) return { rtnCode: RTN.IDEMPOTENCY_CONFLICT };
            return { rtnCode: RTN.OK, body: { case: existing.wire, duplicated: true } };
          }
          if (!catalog.has(submission.itemCode)) return { rtnCode: RTN.ITEM_NOT_FOUND, rtnMsg: `事项不存在: ${submission.itemCode}` };
          const at = formatWireTime(now());
          caseSerial += 1;
          const stored: StoredCase = {
            fingerprint,
            wire: {
              caseId: `SC${at.slice(0, 10).replaceAll('-', '')}${run}${String(caseSerial).padStart(6, '0')}`,
              businessNo: submission.businessNo,
              itemCode: submission.itemCode,
              status: 'SB',
              decisionResult: null,
              reasonList: [],
              updateTime: at,
              processList: [{ status: 'SB', statusTime: at, remark: STATUS_REMARK.SB }],
            },
          };
          casesByKey.set(submission.idempotentKey, stored);
          casesById.set(stored.wire.caseId, stored);
          return { rtnCode: RTN.OK, body: { case: stored.wire, duplicated: false } };
        });
      case SICHUAN_ENDPOINTS.caseBatchGet:
        return validated(caseBatchGetRequestSchema, body, ({ caseIds }) => ({
          rtnCode: RTN.OK,
          body: { caseList: [...new Set(caseIds)].flatMap((id) => casesById.get(id)?.wire ?? []) },
        }));
      case SICHUAN_ENDPOINTS.caseGet:
        return validated(caseGetRequestSchema, body, ({ caseId }) => {
          const stored = casesById.get(caseId);
          return stored ? { rtnCode: RTN.OK, body: { case: stored.wire } } : { rtnCode: RTN.CASE_NOT_FOUND };
        });
    }
  }

  function step(stored: StoredCase): WireCaseEvent | null {
    const c = stored.wire;
    const next: CaseStatus | undefined =
      c.status === 'SB' ? (rejectItemCodes.has(c.itemCode) ? 'BYSL' : 'SL') : NEXT_STATUS[c.status];
    if (!next) return null;
    const at = formatWireTime(now());
    // Replaced, never mutated: a record already handed out keeps describing its moment.
    stored.wire = {
      ...c,
      status: next,
      decisionResult: next === 'JD' ? '1' : c.decisionResult,
      reasonList: next === 'BYSL' ? rejectionReasons(catalog.get(c.itemCode)) : c.reasonList,
      updateTime: at,
      processList: [...c.processList, { status: next, statusTime: at, remark: STATUS_REMARK[next] }],
    };
    return {
      eventId: randomUUID(),
      caseId: c.caseId,
      businessNo: c.businessNo,
      itemCode: c.itemCode,
      status: next,
      statusTime: at,
      decisionResult: stored.wire.decisionResult,
      reasonList: stored.wire.reasonList,
    };
  }

  function advance(platformCaseId?: string): Promise<WireCase[]> {
    let targets: StoredCase[];
    if (platformCaseId === undefined) {
      targets = [...casesById.values()];
    } else {
      const stored = casesById.get(platformCaseId);
      if (!stored) return Promise.reject(new Error(`sandbox has no case ${platformCaseId}`));
      targets = [stored];
    }
    const moved: WireCase[] = [];
    const pushes: Promise<void>[] = [];
    for (const stored of targets) {
      const event = step(stored);
      if (!event) continue;
      moved.push(stored.wire);
      pushes.push(push(event));
    }
    return Promise.all(pushes).then(() => moved);
  }

  /** Pushes of one case go out in order, each after the previous one settled. */
  function push(event: WireCaseEvent): Promise<void> {
    const webhookUrl = options.webhookUrl;
    if (!webhookUrl) return Promise.resolve();
    const previous = deliveryChains.get(event.caseId) ?? Promise.resolve();
    const next = previous.then(() => deliver(webhookUrl, event));
    deliveryChains.set(event.caseId, next);
    return next;
  }

  async function deliver(webhookUrl: string, event: WireCaseEvent): Promise<void> {
    const record: WebhookDelivery = { eventId: event.eventId, caseId: event.caseId, status: event.status, attempts: 0, delivered: false, gaveUp: false };
    deliveries.push(record);
    const body = JSON.stringify(event);
    for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS && !closed; attempt++) {
      record.attempts = attempt;
      // Each attempt is a new request with its own nonce; receivers deduplicate by eventId.
      const nonce = newNonce();
      const requestTime = formatWireTime(now());
      const sign = sm3Sign(options.appSecret, requestCanonical({ appId: options.appId, nonce, requestTime }, body));
      try {
        const response = await fetch(webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify({ head: { appId: options.appId, requestTime, nonce, signType: SIGN_TYPE, sign }, body }),
          signal: AbortSignal.any([stopDeliveries.signal, AbortSignal.timeout(WEBHOOK_TIMEOUT_MS)]),
        });
        await response.arrayBuffer();
        if (response.ok) {
          record.delivered = true;
          return;
        }
        record.lastError = `HTTP ${response.status}`;
      } catch (error) {
        record.lastError = error instanceof Error ? error.message : String(error);
      }
      if (attempt < WEBHOOK_ATTEMPTS) {
        await delay(WEBHOOK_RETRY_MS * 2 ** (attempt - 1), undefined, { signal: stopDeliveries.signal }).catch(() => undefined);
      }
    }
    record.gaveUp = true;
  }

  const faultSwitch = {
    faults: () => faults,
    setFaults(next: SichuanSandboxFaults) {
      faults = { ...next };
    },
  };

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (await serveFaultControl(req, res, faultSwitch)) return;
    const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
    if (!ENDPOINTS.has(path)) return sendJson(res, 404, { error: 'not found' });
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' });
    const endpoint = path as SichuanEndpoint;
    counts[endpoint] += 1;

    const raw = (await readBody(req, MAX_REQUEST_BYTES))?.toString('utf8') ?? null;
    if (raw === null) return sendJson(res, 413, { error: 'request too large' });

    // Drawn in a fixed order so that one seed always yields one sequence of faults.
    if (faults.latencyMs) await delay(faults.latencyMs);
    if (chance(faults.rateLimitRate)) {
      res.setHeader('retry-after', String(faults.retryAfterSeconds ?? 1));
      return sendJson(res, 429, { error: 'too many requests' });
    }
    if (chance(faults.errorRate)) return sendJson(res, random() < 0.5 ? 500 : 503, { error: 'injected failure' });
    if (chance(faults.timeoutRate)) return;

    let text = answerRequest(endpoint, raw);
    if (chance(faults.malformedRate)) text = text.slice(0, Math.floor(text.length / 2));
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(text);
  }

  const server = await listen(
    (req, res) => {
      onRequest(req, res).catch((error: unknown) => {
        if (!res.headersSent && !res.destroyed) sendJson(res, 500, { error: String(error) });
      });
    },
    { port: options.port, host },
  );
  const { port } = server;

  const ticker =
    options.stepMs && options.stepMs > 0
      ? setInterval(() => {
          void advance();
        }, options.stepMs).unref()
      : undefined;

  return {
    url: server.url,
    port,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(ticker);
      stopDeliveries.abort();
      // stop() destroys hung (timeout-fault) and keep-alive sockets, which would otherwise hold close() forever.
      await Promise.all([server.stop(), ...deliveryChains.values()]);
    },
    setFaults: faultSwitch.setFaults,
    advance,
    cases: () => [...casesById.values()].map((stored) => structuredClone(stored.wire)),
    requestCounts: () => ({ ...counts }),
    resetCounts() {
      counts = zeroCounts();
    },
    webhookDeliveries: () => deliveries.map((record) => ({ ...record })),
  };
}

function validated<S extends z.ZodType>(schema: S, body: unknown, then: (value: z.output<S>) => Answer): Answer {
  const parsed = schema.safeParse(body);
  if (!parsed.success) return { rtnCode: RTN.BAD_PARAMETER, rtnMsg: `参数错误: ${issues(parsed.error)}` };
  return then(parsed.data);
}

function issues(error: z.ZodError): string {
  return describeZodIssues(error, 3, ' ');
}

function zeroCounts(): Record<SichuanEndpoint, number> {
  return Object.fromEntries(Object.values(SICHUAN_ENDPOINTS).map((endpoint) => [endpoint, 0])) as Record<SichuanEndpoint, number>;
}

function toWireItem(item: CatalogItem): WireItem {
  return {
    itemCode: item.code,
    itemName: item.name,
    legalItemName: item.legalName,
    deptName: item.department,
    areaCode: item.divisionCode,
    powerType: item.powerType,
    anticipateDay: item.legalLimitDays,
    promiseDay: item.promisedLimitDays,
    materialList: item.materials.map((m) => ({
      materialName: m.name,
      materialForm: MATERIAL_FORM_CODE[m.form],
      pageNum: m.copies,
      isRequired: m.required ? '1' : '0',
    })),
    tbTypeList: item.scopes.flatMap((scope) => (scope in SCOPE_CODE ? [SCOPE_CODE[scope as keyof typeof SCOPE_CODE]] : [])),
    isSample: item.sampleData ? '1' : '0',
    ...(item.status === 'AVAILABLE' ? {} : { itemState: ITEM_STATE_CODE[item.status] }),
    ...(item.statusRemark ? { remark: item.statusRemark } : {}),
  };
}

function rejectionReasons(item: CatalogItem | undefined): string[] {
  const material = item?.materials[2]?.name ?? item?.materials[1]?.name ?? '申请材料';
  return [`申请材料不符合法定形式：${material}不符合要求`, '申请人未在规定期限内补正全部材料'];
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
