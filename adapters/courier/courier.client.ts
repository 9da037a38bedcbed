/**
 * CourierPort over the 政务专递 REST API (CONTRACT.md). Every request is signed; every answer
 * is validated before it is believed; failures leave as the platform error classes with
 * system COURIER, so callers branch on `PLATFORM.COURIER_UNAVAILABLE` / `_REJECTED` /
 * `_BAD_RESPONSE` and never on HTTP details.
 */
import type { z } from 'zod';
import { InputError } from '../../domain/errors.js';
import type { CircuitBreaker, CircuitBreakerOptions } from '../circuit-breaker.js';
import { clientBasics, fetchText, forEachChunk, guardedCall, httpStatusFailure, parseJsonEnvelope, type HttpFetch } from '../http-client.kit.js';
import { PlatformBadResponseError, PlatformRejectedError, PlatformUnavailableError } from '../platform.errors.js';
import { createToWire, waybillFromWire } from './courier.mapper.js';
import type { CourierPort, CreateWaybillRequest, Waybill } from './courier.port.js';
import { COURIER_HEADER, newCourierNonce, signedCourierHeaders } from './courier.signature.js';
import {
  COURIER_API,
  COURIER_MAX_TRACK,
  COURIER_UNAVAILABLE_CODES,
  courierCreateSchema,
  courierEnvelopeSchema,
  courierTrackResultSchema,
  courierWaybillSchema,
  describeIssues,
  IDEMPOTENCY_KEY,
  WAYBILL_NO,
  type CourierEnvelope,
} from './courier.wire.js';

export { verifyCourierPush, type VerifyCourierPushOptions } from './courier.webhook.js';

const SYSTEM = 'COURIER';

/** Chunks of one track call in flight at once: fast for big DataLoader batches, gentle on the courier. */
const TRACK_CONCURRENCY = 4;

export interface CourierClientOptions {
  /** e.g. `https://courier.example.cn` or with a path prefix; no trailing slash needed. */
  baseUrl: string;
  partnerId: string;
  secret: string;
  /** Per attempt, from sending the request to having read the whole body. */
  timeoutMs: number;
  fetch?: HttpFetch;
  /** Extra attempts for track after the first (default 2). Create and cancel are never retried here. */
  retries?: number;
  /** Backoff before the first retry; doubles each time, with jitter (default 100 ms). */
  retryBaseMs?: number;
  /** Defaults: 5 consecutive failures open the circuit for 30 s; `now` defaults to the client's. */
  circuitBreaker?: Partial<CircuitBreakerOptions>;
  /** Clock for the signature timestamp, unix ms. */
  now?: () => number;
  nonce?: () => string;
}

interface CallSpec {
  path: string;
  body: unknown;
  headers?: Record<string, string>;
  /** Only reads are retried: a repeated order or cancellation is the caller's decision. */
  idempotent: boolean;
}

export class CourierClient implements CourierPort {
  private readonly baseUrl: string;
  private readonly fetchImpl: HttpFetch;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly now: () => number;
  private readonly nonce: () => string;
  private readonly breaker: CircuitBreaker;

  constructor(private readonly options: CourierClientOptions) {
    ({
      baseUrl: this.baseUrl,
      fetchImpl: this.fetchImpl,
      retries: this.retries,
      retryBaseMs: this.retryBaseMs,
      now: this.now,
      nonce: this.nonce,
      breaker: this.breaker,
    } = clientBasics(options, newCourierNonce));
  }

  get circuitState() {
    return this.breaker.state;
  }

  /**
   * Not retried here: the idempotency key is what makes a retry safe, and the caller (a job
   * with its own backoff) owns it. Re-ordering with the same key and request returns the
   * waybill the first attempt created, even when that attempt's answer was lost.
   */
  async createWaybill(request: CreateWaybillRequest): Promise<Waybill> {
    if (!IDEMPOTENCY_KEY.test(request.idempotencyKey)) {
      throw new InputError('INPUT.INVALID_IDEMPOTENCY_KEY', '幂等键须为 1–128 个可见 ASCII 字符');
    }
    // Checked here with the courier's own schema, so a typo in an address fails at once with a
    // field name instead of as an opaque PARAM_ERROR from the courier.
    const body = courierCreateSchema.safeParse(createToWire(request));
    if (!body.success) throw new InputError('INPUT.INVALID_WAYBILL_REQUEST', `寄件信息不正确：${describeIssues(body.error)}`);
    const label = `POST ${COURIER_API.waybills}`;
    const result = await this.call({
      path: COURIER_API.waybills,
      body: body.data,
      headers: { [COURIER_HEADER.idempotencyKey]: request.idempotencyKey },
      idempotent: false,
    });
    const wire = parseResult(courierWaybillSchema, result, label);
    const asked = body.data;
    if (wire.businessNo !== asked.businessNo || wire.bizType !== asked.bizType || wire.feePayer !== asked.feePayer) {
      throw badResponse(
        `${label} 返回的运单 (${wire.businessNo}, ${wire.bizType}, ${wire.feePayer}) 与下单的 (${asked.businessNo}, ${asked.bizType}, ${asked.feePayer}) 不一致`,
      );
    }
    return waybillFromWire(wire);
  }

  /**
   * A number that cannot be a domestic waybill number cannot be known to the courier: it is
   * answered null without asking, rather than letting it fail the PARAM_ERROR of a whole chunk.
   */
  async track(waybillNos: readonly string[]): Promise<(Waybill | null)[]> {
    const label = `POST ${COURIER_API.track}`;
    const found = new Map<string, Waybill>();
    const wanted = [...new Set(waybillNos)].filter((no) => WAYBILL_NO.test(no));
    await forEachChunk(wanted, COURIER_MAX_TRACK, TRACK_CONCURRENCY, async (chunk) => {
      const result = await this.call({ path: COURIER_API.track, body: { waybillNos: chunk }, idempotent: true });
      const { waybills } = parseResult(courierTrackResultSchema, result, label);
      const asked = new Set(chunk);
      for (const wire of waybills) {
        if (!asked.has(wire.waybillNo)) throw badResponse(`${label} 返回了未查询的运单 ${wire.waybillNo}`);
        found.set(wire.waybillNo, waybillFromWire(wire));
      }
    });
    return waybillNos.map((no) => found.get(no) ?? null);
  }

  /** The waybill number is repeated in the signed body because the signature does not cover the path. */
  async cancel(waybillNo: string): Promise<Waybill> {
    if (!WAYBILL_NO.test(waybillNo)) throw new InputError('INPUT.INVALID_WAYBILL_NO', `运单号格式不正确：${waybillNo}`);
    const path = COURIER_API.cancel(waybillNo);
    const label = `POST ${path}`;
    const result = await this.call({ path, body: { waybillNo }, idempotent: false });
    const waybill = waybillFromWire(parseResult(courierWaybillSchema, result, label));
    if (waybill.waybillNo !== waybillNo || waybill.state !== 'CANCELLED') {
      throw badResponse(`${label} 返回了运单 ${waybill.waybillNo}，状态 ${waybill.state}`);
    }
    return waybill;
  }

  private async call(spec: CallSpec): Promise<unknown> {
    return guardedCall(() => this.send(spec), {
      breaker: this.breaker,
      circuitOpen: (error) =>
        new PlatformUnavailableError(SYSTEM, `政务专递连续失败，已熔断：${error.message}`, { cause: error, retryAfterMs: error.retryAfterMs }),
      idempotent: spec.idempotent,
      retries: this.retries,
      retryBaseMs: this.retryBaseMs,
    });
  }

  private async send(spec: CallSpec): Promise<unknown> {
    const label = `POST ${spec.path}`;
    const body = JSON.stringify(spec.body);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/json; charset=utf-8',
      ...signedCourierHeaders({
        partnerId: this.options.partnerId,
        secret: this.options.secret,
        body,
        now: this.now(),
        nonce: this.nonce(),
      }),
      ...spec.headers,
    };
    const { status, retryAfter, text } = await fetchText(
      `${this.baseUrl}${spec.path}`,
      // Redirects are not part of the contract; following one would send a signed order elsewhere (fetchText never does).
      { method: 'POST', headers, body },
      { fetch: this.fetchImpl, system: SYSTEM, displayName: '政务专递', label, timeoutMs: this.options.timeoutMs },
    );
    return this.interpret(label, status, retryAfter, text);
  }

  private interpret(label: string, status: number, retryAfter: string | null, text: string): unknown {
    const parsed = parseEnvelope(text);
    const envelope = 'envelope' in parsed ? parsed.envelope : null;
    const said = envelope && !envelope.success ? `${envelope.errorCode} ${envelope.errorMsg ?? ''}`.trim() : `HTTP ${status}`;
    const failure = httpStatusFailure({
      system: SYSTEM,
      displayName: '政务专递',
      label,
      status,
      said,
      rejectCode: () => (envelope && !envelope.success ? envelope.errorCode : `HTTP_${status}`),
      retryAfter,
      now: this.now,
    });
    if (failure) throw failure;
    if (status !== 200 && status !== 201) throw badResponse(`${label} 返回了契约外的 HTTP ${status}`);
    if (!envelope) throw badResponse(`${label} ${'problem' in parsed ? parsed.problem : ''}`);
    if (!envelope.success) {
      if (COURIER_UNAVAILABLE_CODES.has(envelope.errorCode)) {
        throw new PlatformUnavailableError(SYSTEM, `政务专递 ${label} 业务错误（${said}）`);
      }
      throw new PlatformRejectedError(SYSTEM, envelope.errorCode, `政务专递 ${label} 业务错误（${said}）`);
    }
    return envelope.result;
  }
}

function parseEnvelope(text: string): { envelope: CourierEnvelope } | { problem: string } {
  return parseJsonEnvelope(text, courierEnvelopeSchema, '{success,errorCode,errorMsg,result}');
}

function parseResult<S extends z.ZodType>(schema: S, result: unknown, label: string): z.infer<S> {
  const parsed = schema.safeParse(result);
  if (!parsed.success) throw badResponse(`${label} 的 result 不符合契约：${describeIssues(parsed.error)}`);
  return parsed.data;
}

function badResponse(message: string): PlatformBadResponseError {
  return new PlatformBadResponseError(SYSTEM, `政务专递 ${message}`);
}
