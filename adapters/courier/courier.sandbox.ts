/**
 * A stand-in for the 政务专递 courier that speaks CONTRACT.md over real HTTP: signed requests,
 * idempotent ordering, tracking, cancellation before collection, state progression, signed
 * tracking pushes with retries, and injectable faults. Development and integration tests run
 * against it; nothing in it is for production.
 *
 * Determinism: faults draw from a seeded PRNG and waybills move only on `advance()` unless
 * `stepMs` is set, so a test sees the same behaviour on every run.
 */
import { randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InputError, NotFoundError } from '../../domain/errors.js';
import { createNonceMemory, createSandboxRuntime, envelopeSender, listen, type SandboxFaults, serveApiRequest } from '../sandbox.kit.js';
import { serveFaultControl } from '../sandbox-faults.route.js';
import { canonicalJson } from '../wire.kit.js';
import { STATE_CODES } from './courier.mapper.js';
import type { WaybillState } from './courier.port.js';
import {
  checkCourierSignature,
  COURIER_HEADER,
  COURIER_TIMESTAMP_TOLERANCE_MS,
  newCourierNonce,
  signedCourierHeaders,
} from './courier.signature.js';
import {
  COURIER_CODE,
  COURIER_MAX_TRACK,
  COURIER_STATES,
  courierCancelRequestSchema,
  courierCreateSchema,
  courierTrackRequestSchema,
  describeIssues,
  formatCourierTime,
  IDEMPOTENCY_KEY,
  type CourierCreate,
  type CourierEnvelope,
  type CourierPush,
  type CourierStateCode,
  type CourierWaybill,
  type CourierWireParty,
} from './courier.wire.js';

/** Fault injection (see sandbox.kit): errors are 500 SYSTEM_ERROR or 503 SYSTEM_BUSY, 429 is RATE_LIMITED with Retry-After. */
export type CourierSandboxFaults = SandboxFaults;

export interface CourierSandboxOptions {
  /** 0 or absent: any free port. */
  port?: number;
  host?: string;
  partnerId: string;
  secret: string;
  /** Where tracking events are pushed; no pushes without it. */
  pushUrl?: string;
  /** Delivery attempts per push before giving up (default 4). */
  pushAttempts?: number;
  /** Wait before the second attempt; doubles after each failure (default 200 ms). */
  pushRetryDelayMs?: number;
  pushTimeoutMs?: number;
  /** Each open waybill moves one step every stepMs; 0 or absent: only `advance()` moves waybills. */
  stepMs?: number;
  faults?: CourierSandboxFaults;
  seed?: number;
  now?: () => number;
  toleranceMs?: number;
}

export interface PushDelivery {
  pushId: string;
  waybillNo: string;
  seq: number;
  stateCode: CourierStateCode;
  /** EVENT: pushed because the waybill changed state; REPLAY: re-sent by replayPush(). */
  kind: 'EVENT' | 'REPLAY';
  attempt: number;
  at: string;
  outcome: 'DELIVERED' | 'FAILED' | 'GAVE_UP';
  nonce?: string;
  status?: number;
  error?: string;
}

export interface CraftedPushOptions {
  /** Sign with this secret instead of the sandbox's: a forged push. */
  signWith?: string;
  /** Unix ms for the timestamp header (default now): a stale push. */
  timestamp?: number;
  /** Reuse a nonce: a replayed push. */
  nonce?: string;
}

export interface CourierSandbox {
  url: string;
  port: number;
  close(): Promise<void>;
  setFaults(faults: CourierSandboxFaults): void;
  /**
   * Moves one waybill — or every open one — one step along 已下单 → 揽收 → 在途 → 派件 → 签收
   * (异常 resumes 在途), or to `to`. Resolves once the pushes it caused are delivered or
   * given up, with the waybills that moved. Throws for an unknown waybill or a `to` the
   * waybill cannot reach from where it is.
   */
  advance(waybillNo?: string, to?: WaybillState): Promise<CourierWaybill[]>;
  /** The courier's own records, in its wire format, oldest first. */
  waybills(): CourierWaybill[];
  /** Every delivery attempt of every push, in the order they finished. */
  pushes(): PushDelivery[];
  /** Resolves when every push queued so far was delivered or given up (cancellation and stepMs push on their own). */
  pushesSettled(): Promise<void>;
  /** Sends a past push again, unchanged but signed afresh (new nonce and timestamp): a duplicate delivery. */
  replayPush(pushId: string): Promise<PushDelivery>;
  /** Sends anything to the push URL, signed as told, once; for forged, stale, replayed or out-of-order pushes. */
  sendPush(raw: object | string, opts?: CraftedPushOptions): Promise<{ status: number; nonce: string; timestamp: number }>;
  /** Requests received per endpoint (e.g. `POST /v1/waybills/{no}/cancel`), faulted ones included. */
  requestCounts(): Record<string, number>;
  resetCounts(): void;
}

type Endpoint = 'POST /v1/waybills' | 'POST /v1/waybills/track' | 'POST /v1/waybills/{no}/cancel';

interface Reply {
  status: number;
  envelope: CourierEnvelope;
  headers?: Record<string, string>;
}

interface StoredWaybill {
  wire: CourierWaybill;
  order: CourierCreate;
}

const MAX_BODY_BYTES = 1024 * 1024;

const NEXT_STATE: Partial<Record<CourierStateCode, CourierStateCode>> = {
  '0': '10',
  '10': '20',
  '20': '30',
  '30': '40',
  '60': '20',
};

const FINAL_STATES: ReadonlySet<CourierStateCode> = new Set(['40', '50', '90']);

const STATE_REMARKS: Record<CourierStateCode, string> = {
  '0': '已下单，等待揽收',
  '10': '已揽收',
  '20': '运输中',
  '30': '派件中',
  '40': '已签收',
  '50': '已退回寄件人',
  '60': '投递异常，待处理',
  '90': '订单已取消',
};

const PROVINCES: Record<string, string> = { '50': '重庆市', '51': '四川省' };

function province(divisionCode: string): string {
  return PROVINCES[divisionCode.slice(0, 2)] ?? `区划${divisionCode.slice(0, 2)}0000`;
}

function outlet(party: CourierWireParty): string {
  return `${province(party.divisionCode)}（${party.divisionCode}）揽投部`;
}

const ORDER_PLACE = '网上下单';

function placeOf(state: CourierStateCode, stored: StoredWaybill): string {
  const { sender, receiver } = stored.order;
  switch (state) {
    case '0':
    case '90':
      return ORDER_PLACE;
    case '10':
    case '50':
      return outlet(sender);
    case '20':
      return `${province(sender.divisionCode)}邮件处理中心`;
    case '30':
      return outlet(receiver);
    case '40':
      return receiver.address;
    case '60':
      return stored.wire.traces.at(-1)!.place;
  }
}

function ok(result: unknown, status = 200): Reply {
  return { status, envelope: { success: true, result } };
}

function fail(status: number, errorCode: string, errorMsg: string, headers?: Record<string, string>): Reply {
  return { status, envelope: { success: false, errorCode, errorMsg }, ...(headers ? { headers } : {}) };
}

function matchRoute(method: string, pathname: string): { endpoint: Endpoint; waybillNo?: string } | null {
  if (method !== 'POST') return null;
  if (pathname === '/v1/waybills') return { endpoint: 'POST /v1/waybills' };
  if (pathname === '/v1/waybills/track') return { endpoint: 'POST /v1/waybills/track' };
  const cancel = /^\/v1\/waybills\/([^/]+)\/cancel$/.exec(pathname);
  if (cancel) return { endpoint: 'POST /v1/waybills/{no}/cancel', waybillNo: decodeURIComponent(cancel[1]!) };
  return null;
}

export async function startCourierSandbox(opts: CourierSandboxOptions): Promise<CourierSandbox> {
  const host = opts.host ?? '127.0.0.1';
  const now = opts.now ?? Date.now;
  const toleranceMs = opts.toleranceMs ?? COURIER_TIMESTAMP_TOLERANCE_MS;
  const rt = createSandboxRuntime(opts.seed ?? 20230301, opts.faults);
  // Waybill numbers differ between sandbox instances, so a long-lived gateway never confuses two runs' shipments.
  const instance = String(randomInt(1000)).padStart(3, '0');
  const pushAttempts = opts.pushAttempts ?? 4;
  const pushRetryDelayMs = opts.pushRetryDelayMs ?? 200;
  const pushTimeoutMs = opts.pushTimeoutMs ?? 5000;

  let waybillSeq = 0;
  let pushSeq = 0;
  const waybills = new Map<string, StoredWaybill>();
  const byIdempotencyKey = new Map<string, { body: string; waybillNo: string }>();
  const nonces = createNonceMemory(2 * toleranceMs);
  const stepTimers = new Map<string, NodeJS.Timeout>();
  const pushesById = new Map<string, CourierPush>();
  const deliveryChains = new Map<string, Promise<void>>();
  const pendingDeliveries = new Set<Promise<unknown>>();
  const deliveries: PushDelivery[] = [];
  const lifetime = new AbortController();

  const { pause } = rt;

  function keepPending<T>(promise: Promise<T>): Promise<T> {
    pendingDeliveries.add(promise);
    void promise.finally(() => pendingDeliveries.delete(promise)).catch(() => undefined);
    return promise;
  }

  function authenticate(req: IncomingMessage, raw: Buffer): Reply | null {
    if (req.headers[COURIER_HEADER.partner] !== opts.partnerId) return fail(401, COURIER_CODE.partnerUnknown, '合作方编号无效');
    const at = now();
    const check = checkCourierSignature({ secret: opts.secret, headers: req.headers, body: raw, now: at, toleranceMs });
    if (!check.ok) {
      const code = check.reason === 'STALE_TIMESTAMP' ? COURIER_CODE.timestampExpired : COURIER_CODE.signError;
      return fail(401, code, `认证失败：${check.detail}`);
    }
    if (!nonces.claim(check.nonce, at)) return fail(401, COURIER_CODE.nonceReplayed, 'nonce 已使用');
    return null;
  }

  function parseJson(raw: Buffer): { json: unknown } | Reply {
    try {
      return { json: JSON.parse(raw.toString('utf8')) };
    } catch {
      return fail(400, COURIER_CODE.paramError, '请求体不是合法 JSON');
    }
  }

  function createWaybill(req: IncomingMessage, json: unknown): Reply {
    const key = req.headers[COURIER_HEADER.idempotencyKey];
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
      return fail(400, COURIER_CODE.paramError, `缺少或无效的 ${COURIER_HEADER.idempotencyKey}`);
    }
    const parsed = courierCreateSchema.safeParse(json);
    if (!parsed.success) return fail(400, COURIER_CODE.paramError, `参数错误：${describeIssues(parsed.error)}`);
    const body = canonicalJson(json);
    const earlier = byIdempotencyKey.get(key);
    if (earlier) {
      if (earlier.body !== body) return fail(409, COURIER_CODE.idempotencyConflict, '幂等键已用于另一请求');
      return ok(structuredClone(waybills.get(earlier.waybillNo)!.wire));
    }
    waybillSeq += 1;
    const waybillNo = `1${instance}${String(waybillSeq).padStart(9, '0')}`;
    const time = formatCourierTime(now());
    const stored: StoredWaybill = {
      order: parsed.data,
      wire: {
        waybillNo,
        businessNo: parsed.data.businessNo,
        bizType: parsed.data.bizType,
        feePayer: parsed.data.feePayer,
        stateCode: '0',
        createTime: time,
        traces: [{ seq: 1, stateCode: '0', time, place: ORDER_PLACE, remark: STATE_REMARKS['0'] }],
      },
    };
    waybills.set(waybillNo, stored);
    byIdempotencyKey.set(key, { body, waybillNo });
    scheduleStep(stored);
    return ok(structuredClone(stored.wire), 201);
  }

  function trackWaybills(json: unknown): Reply {
    const request = courierTrackRequestSchema.safeParse(json);
    if (!request.success) return fail(400, COURIER_CODE.paramError, `参数错误：${describeIssues(request.error)}`);
    const nos = request.data.waybillNos;
    if (nos.length > COURIER_MAX_TRACK) return fail(400, COURIER_CODE.batchTooLarge, `单次最多查询 ${COURIER_MAX_TRACK} 个运单`);
    const found = [...new Set(nos)].flatMap((no) => {
      const stored = waybills.get(no);
      return stored ? [structuredClone(stored.wire)] : [];
    });
    return ok({ waybills: found });
  }

  /** Cancelling a cancelled waybill answers it again, so a caller that lost the first answer may repeat. */
  function cancelWaybill(pathNo: string, json: unknown): Reply {
    const request = courierCancelRequestSchema.safeParse(json);
    if (!request.success) return fail(400, COURIER_CODE.paramError, `参数错误：${describeIssues(request.error)}`);
    if (request.data.waybillNo !== pathNo) return fail(400, COURIER_CODE.paramError, '请求体中的运单号与路径不一致');
    const stored = waybills.get(pathNo);
    if (!stored) return fail(200, COURIER_CODE.waybillNotFound, `运单不存在：${pathNo}`);
    if (stored.wire.stateCode === '90') return ok(structuredClone(stored.wire));
    if (stored.wire.stateCode !== '0') {
      return fail(200, COURIER_CODE.cancelNotAllowed, `运单当前状态为「${STATE_REMARKS[stored.wire.stateCode]}」，只能在揽收前取消`);
    }
    void move(stored, '90');
    return ok(structuredClone(stored.wire));
  }

  async function route(req: IncomingMessage, raw: Buffer, matched: { endpoint: Endpoint; waybillNo?: string }): Promise<Reply> {
    const refused = authenticate(req, raw);
    if (refused) return refused;
    const parsed = parseJson(raw);
    if (!('json' in parsed)) return parsed;
    if (matched.endpoint === 'POST /v1/waybills') return createWaybill(req, parsed.json);
    if (matched.endpoint === 'POST /v1/waybills/track') return trackWaybills(parsed.json);
    return cancelWaybill(matched.waybillNo!, parsed.json);
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
        tooLarge: () => fail(413, COURIER_CODE.bodyTooLarge, `请求体超过 ${MAX_BODY_BYTES} 字节`),
        notFound: () => fail(404, COURIER_CODE.notFound, '接口不存在'),
        rateLimited: (retryAfter) => fail(429, COURIER_CODE.rateLimited, '请求过于频繁', { 'retry-after': retryAfter }),
        failure: (status) => (status === 500 ? fail(500, COURIER_CODE.systemError, '系统内部错误') : fail(503, COURIER_CODE.systemBusy, '系统繁忙')),
      },
      route: (req, _url, raw, matched) => route(req, raw, matched),
    });
  }

  function scheduleStep(stored: StoredWaybill): void {
    const { waybillNo, stateCode } = stored.wire;
    clearTimeout(stepTimers.get(waybillNo));
    stepTimers.delete(waybillNo);
    if (!opts.stepMs || rt.isClosed() || NEXT_STATE[stateCode] === undefined) return;
    const timer = setTimeout(() => {
      stepTimers.delete(waybillNo);
      void move(stored, NEXT_STATE[stored.wire.stateCode]!);
    }, opts.stepMs);
    timer.unref();
    stepTimers.set(waybillNo, timer);
  }

  /** Why the waybill cannot move to `to` from where it is, or null when it can. */
  function refusal(stored: StoredWaybill, to: CourierStateCode): string | null {
    const from = stored.wire.stateCode;
    if (FINAL_STATES.has(from)) return `运单 ${stored.wire.waybillNo} 已是终态 ${COURIER_STATES[from]}`;
    if (to === from || to === '0') return `运单 ${stored.wire.waybillNo} 不能从 ${COURIER_STATES[from]} 变为 ${COURIER_STATES[to]}`;
    if (to === '90' && from !== '0') return `运单 ${stored.wire.waybillNo} 已揽收，不能取消`;
    return null;
  }

  /** Records the new state as the next trace and queues its push; resolves when the push is delivered or given up. */
  function move(stored: StoredWaybill, to: CourierStateCode): Promise<void> {
    const { wire } = stored;
    const trace = {
      seq: wire.traces.at(-1)!.seq + 1,
      stateCode: to,
      time: formatCourierTime(now()),
      place: placeOf(to, stored),
      remark: STATE_REMARKS[to],
    };
    wire.traces.push(trace);
    wire.stateCode = to;
    scheduleStep(stored);
    if (!opts.pushUrl) return Promise.resolve();
    pushSeq += 1;
    const push: CourierPush = {
      pushId: `P${instance}${String(pushSeq).padStart(10, '0')}`,
      waybillNo: wire.waybillNo,
      businessNo: wire.businessNo,
      ...trace,
    };
    pushesById.set(push.pushId, push);
    // One chain per waybill keeps its pushes in seq order; different waybills do not wait for each other.
    const delivery = (deliveryChains.get(wire.waybillNo) ?? Promise.resolve()).then(() => deliverWithRetries(push));
    deliveryChains.set(wire.waybillNo, delivery);
    return keepPending(delivery);
  }

  async function post(body: string, signing: { secret: string; timestamp: number; nonce: string }): Promise<number> {
    const response = await fetch(opts.pushUrl!, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        ...signedCourierHeaders({ partnerId: opts.partnerId, secret: signing.secret, body, now: signing.timestamp, nonce: signing.nonce }),
      },
      body,
      signal: AbortSignal.any([lifetime.signal, AbortSignal.timeout(pushTimeoutMs)]),
    });
    await response.arrayBuffer();
    return response.status;
  }

  async function attemptPush(push: CourierPush, kind: PushDelivery['kind'], attempt: number): Promise<PushDelivery> {
    const nonce = newCourierNonce();
    const entry = (extra: Partial<PushDelivery>): PushDelivery => {
      const logged: PushDelivery = {
        pushId: push.pushId,
        waybillNo: push.waybillNo,
        seq: push.seq,
        stateCode: push.stateCode,
        kind,
        attempt,
        at: new Date(now()).toISOString(),
        outcome: 'FAILED',
        nonce,
        ...extra,
      };
      deliveries.push(logged);
      return logged;
    };
    try {
      // Each attempt is signed afresh: a receiver that already claimed an earlier nonce must still accept it.
      const status = await post(JSON.stringify(push), { secret: opts.secret, timestamp: now(), nonce });
      return entry({ status, outcome: status >= 200 && status < 300 ? 'DELIVERED' : 'FAILED' });
    } catch (error) {
      return entry({ error: error instanceof Error ? error.message : String(error) });
    }
  }

  async function deliverWithRetries(push: CourierPush): Promise<void> {
    for (let attempt = 1; attempt <= pushAttempts; attempt += 1) {
      if (rt.isClosed()) return;
      const result = await attemptPush(push, 'EVENT', attempt);
      if (result.outcome === 'DELIVERED' || rt.isClosed()) return;
      if (attempt < pushAttempts) await pause(pushRetryDelayMs * 2 ** (attempt - 1));
    }
    if (!rt.isClosed()) {
      const { pushId, waybillNo, seq, stateCode } = push;
      deliveries.push({ pushId, waybillNo, seq, stateCode, kind: 'EVENT', attempt: pushAttempts, at: new Date(now()).toISOString(), outcome: 'GAVE_UP' });
    }
  }

  function requirePushUrl(): void {
    if (!opts.pushUrl) throw new InputError('SANDBOX.NO_PUSH_URL', '政务专递沙箱未配置推送地址 pushUrl');
  }

  const server = await listen((req, res) => {
    handle(req, res).catch(() => send(res, fail(500, COURIER_CODE.systemError, '系统内部错误')));
  }, { port: opts.port, host });
  const { port } = server;
  let closing: Promise<void> | undefined;

  return {
    url: server.url,
    port,
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
    async advance(waybillNo, to) {
      if (to !== undefined && !Object.hasOwn(STATE_CODES, to)) {
        throw new InputError('SANDBOX.UNKNOWN_STATE', `政务专递沙箱没有状态 ${to}`);
      }
      const target = to === undefined ? undefined : STATE_CODES[to];
      let chosen: StoredWaybill[];
      if (waybillNo === undefined) {
        chosen = [...waybills.values()];
      } else {
        const stored = waybills.get(waybillNo);
        if (!stored) throw new NotFoundError('SANDBOX.WAYBILL_NOT_FOUND', `政务专递沙箱没有运单 ${waybillNo}`);
        if (target !== undefined) {
          const reason = refusal(stored, target);
          if (reason) throw new InputError('SANDBOX.INVALID_TRANSITION', reason);
        }
        chosen = [stored];
      }
      const moves = chosen.flatMap((stored) => {
        const next = target ?? NEXT_STATE[stored.wire.stateCode];
        if (next === undefined || refusal(stored, next)) return [];
        const delivered = move(stored, next);
        // Taken now: with stepMs the waybill may move on while its push is being delivered.
        return [{ moved: structuredClone(stored.wire), delivered }];
      });
      await Promise.all(moves.map((entry) => entry.delivered));
      return moves.map((entry) => entry.moved);
    },
    waybills: () => [...waybills.values()].map((stored) => structuredClone(stored.wire)),
    pushes: () => deliveries.map((entry) => ({ ...entry })),
    async pushesSettled() {
      while (pendingDeliveries.size > 0) await Promise.allSettled([...pendingDeliveries]);
    },
    async replayPush(pushId) {
      requirePushUrl();
      const push = pushesById.get(pushId);
      if (!push) throw new NotFoundError('SANDBOX.PUSH_NOT_FOUND', `政务专递沙箱没有推送 ${pushId}`);
      return keepPending(attemptPush(push, 'REPLAY', 1));
    },
    async sendPush(raw, pushOpts = {}) {
      requirePushUrl();
      const body = typeof raw === 'string' ? raw : JSON.stringify(raw);
      const timestamp = pushOpts.timestamp ?? now();
      const nonce = pushOpts.nonce ?? newCourierNonce();
      const status = await keepPending(post(body, { secret: pushOpts.signWith ?? opts.secret, timestamp, nonce }));
      return { status, nonce, timestamp };
    },
    requestCounts: rt.requestCounts,
    resetCounts: rt.resetCounts,
  };
}
