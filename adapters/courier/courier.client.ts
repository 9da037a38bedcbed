/**
 * CourierPort over the 政务专递 REST API (CONTRACT.md). Every request is signed; every answer
 * is validated before it is believed; failures leave as the platform error classes with
 * system COURIER, so callers branch on `PLATFORM.COURIER_UNAVAILABLE` / `_REJECTED` /
 * `_BAD_RESPONSE` and never on HTTP details.
 */
import { InputError } from '../../domain/errors.js';
import { forEachChunk, parseJsonEnvelope, type RawReply } from '../http-client.kit.js';
import { PlatformRejectedError, PlatformUnavailableError } from '../platform.errors.js';
import { SignedRestClient, type RestClientOptions } from '../rest-client.kit.js';
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

export interface CourierClientOptions extends RestClientOptions {
  partnerId: string;
  secret: string;
  /** Extra attempts for track after the first (default 2). Create and cancel are never retried here. */
  retries?: number;
}

interface CallSpec {
  path: string;
  body: unknown;
  headers?: Record<string, string>;
  /** Only reads are retried: a repeated order or cancellation is the caller's decision. */
  idempotent: boolean;
}

export class CourierClient extends SignedRestClient implements CourierPort {
  constructor(private readonly options: CourierClientOptions) {
    super(options, newCourierNonce, { system: SYSTEM, displayName: '政务专递' });
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
    const wire = this.parsed(courierWaybillSchema, result, label, 'result');
    const asked = body.data;
    if (wire.businessNo !== asked.businessNo || wire.bizType !== asked.bizType || wire.feePayer !== asked.feePayer) {
      throw this.badResponse(
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
      const { waybills } = this.parsed(courierTrackResultSchema, result, label, 'result');
      const asked = new Set(chunk);
      for (const wire of waybills) {
        if (!asked.has(wire.waybillNo)) throw this.badResponse(`${label} 返回了未查询的运单 ${wire.waybillNo}`);
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
    const waybill = waybillFromWire(this.parsed(courierWaybillSchema, result, label, 'result'));
    if (waybill.waybillNo !== waybillNo || waybill.state !== 'CANCELLED') {
      throw this.badResponse(`${label} 返回了运单 ${waybill.waybillNo}，状态 ${waybill.state}`);
    }
    return waybill;
  }

  private async call(spec: CallSpec): Promise<unknown> {
    return this.guarded(() => this.send(spec), spec.idempotent);
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
    // Redirects are not part of the contract; following one would send a signed order elsewhere (fetchText never does).
    return this.interpret(label, await this.exchange(`${this.baseUrl}${spec.path}`, { method: 'POST', headers, body }, label));
  }

  private interpret(label: string, reply: RawReply): unknown {
    const { status } = reply;
    const parsed = parseEnvelope(reply.text);
    const envelope = 'envelope' in parsed ? parsed.envelope : null;
    const said = envelope && !envelope.success ? `${envelope.errorCode} ${envelope.errorMsg ?? ''}`.trim() : `HTTP ${status}`;
    const failure = this.statusFailure(label, reply, said, () => (envelope && !envelope.success ? envelope.errorCode : `HTTP_${status}`));
    if (failure) throw failure;
    if (status !== 200 && status !== 201) throw this.badResponse(`${label} 返回了契约外的 HTTP ${status}`);
    if (!envelope) throw this.badResponse(`${label} ${'problem' in parsed ? parsed.problem : ''}`);
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
