/**
 * NotificationPort over the notification gateway's REST API (CONTRACT.md). Messages are checked
 * and rendered here before anything is sent; every request is signed; every answer is validated
 * before it is believed; failures leave as the platform error classes with system NOTIFY, so
 * callers branch on `PLATFORM.NOTIFY_UNAVAILABLE` / `_REJECTED` / `_BAD_RESPONSE`.
 */
import { InputError } from '../../domain/errors.js';
import { parseJsonEnvelope, type RawReply } from '../http-client.kit.js';
import { PlatformRejectedError, PlatformUnavailableError } from '../platform.errors.js';
import { SignedRestClient, type RestClientOptions } from '../rest-client.kit.js';
import type { DeliveryReport, NotificationPort, OutboundMessage, SentReceipt } from './notify.port.js';
import { newNotifyNonce, signedNotifyHeaders } from './notify.signature.js';
import { renderNotification } from './notify.templates.js';
import {
  describeIssues,
  MESSAGE_ID,
  NOTIFY_API,
  NOTIFY_CODE,
  NOTIFY_UNAVAILABLE_CODES,
  notifyEnvelopeSchema,
  notifySendRequestSchema,
  notifySendResultSchema,
  notifyStatusResultSchema,
  REQUEST_ID,
  type NotifyEnvelope,
  type NotifySendRequest,
} from './notify.wire.js';

const SYSTEM = 'NOTIFY';

/** Every call is one attempt, so `retries` and `retryBaseMs` are not read: retries are the notifications job's (see send()). */
export interface NotifyClientOptions extends Omit<RestClientOptions, 'retries' | 'retryBaseMs'> {
  appId: string;
  secret: string;
}

export class NotifyClient extends SignedRestClient implements NotificationPort {
  constructor(private readonly options: NotifyClientOptions) {
    super(options, newNotifyNonce, { system: SYSTEM, displayName: '通知网关' });
  }

  /**
   * One attempt, never retried here: the notifications job retries with backoff, and because it
   * resends the same idempotency key a retry after a lost answer (timeout, 5xx, garbage) comes
   * back as `duplicate: true` instead of a second SMS on the applicant's phone.
   */
  async send(message: OutboundMessage): Promise<SentReceipt> {
    if (!REQUEST_ID.test(message.idempotencyKey)) {
      throw new InputError('INPUT.INVALID_IDEMPOTENCY_KEY', '幂等键须为 1–128 个可见 ASCII 字符');
    }
    const rendering = renderNotification(message);
    if (!rendering.ok) throw new InputError('INPUT.INVALID_NOTIFICATION', `通知不正确：${rendering.detail}`);
    const request: NotifySendRequest = {
      requestId: message.idempotencyKey,
      channel: message.channel,
      to: message.to,
      templateCode: message.template,
      params: message.params,
      ...(message.businessNo === undefined ? {} : { businessNo: message.businessNo }),
      ...(rendering.subject === undefined ? {} : { subject: rendering.subject }),
      content: rendering.content,
    };
    // The gateway's own limits (e.g. businessNo ≤ 64) fail here with a field name, not as an opaque 40001.
    const body = notifySendRequestSchema.safeParse(request);
    if (!body.success) throw new InputError('INPUT.INVALID_NOTIFICATION', `通知不正确：${describeIssues(body.error)}`);

    const label = `POST ${NOTIFY_API.messages}`;
    const result = this.parsed(notifySendResultSchema, await this.call('POST', NOTIFY_API.messages, JSON.stringify(body.data)), label);
    if (result.requestId !== message.idempotencyKey) {
      throw this.badResponse(`${label} 返回的 requestId ${result.requestId} 不是发送的 ${message.idempotencyKey}`);
    }
    return { messageId: result.messageId, acceptedAt: result.acceptedAt, duplicate: result.duplicate };
  }

  /** Where one message stands at the gateway; null for an id it does not know. */
  async status(messageId: string): Promise<DeliveryReport | null> {
    if (!MESSAGE_ID.test(messageId)) return null;
    const path = NOTIFY_API.message(messageId);
    const label = `GET ${path}`;
    let data: unknown;
    try {
      data = await this.call('GET', path, '');
    } catch (error) {
      if (error instanceof PlatformRejectedError && error.platformCode === String(NOTIFY_CODE.messageNotFound)) return null;
      throw error;
    }
    const result = this.parsed(notifyStatusResultSchema, data, label);
    if (result.messageId !== messageId) throw this.badResponse(`${label} 返回了另一条消息 ${result.messageId}`);
    return {
      messageId: result.messageId,
      idempotencyKey: result.requestId,
      channel: result.channel,
      status: result.status,
      acceptedAt: result.acceptedAt,
      updatedAt: result.updatedAt,
      ...(result.failureReason === undefined ? {} : { failureReason: result.failureReason }),
    };
  }

  /** One attempt through the breaker: retries are the notifications job's (see send()). */
  private async call(method: 'GET' | 'POST', path: string, body: string): Promise<unknown> {
    return this.guarded(() => this.request(method, path, body), false);
  }

  private async request(method: 'GET' | 'POST', path: string, body: string): Promise<unknown> {
    const label = `${method} ${path}`;
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(method === 'POST' ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      ...signedNotifyHeaders({ appId: this.options.appId, secret: this.options.secret, body, now: this.now(), nonce: this.nonce() }),
    };
    // Redirects are not part of the contract; following one would hand a signed message to someone else (fetchText never does).
    return this.interpret(label, await this.exchange(`${this.baseUrl}${path}`, { method, headers, ...(method === 'POST' ? { body } : {}) }, label));
  }

  private interpret(label: string, reply: RawReply): unknown {
    const { status } = reply;
    const parsed = parseEnvelope(reply.text);
    const envelope = 'envelope' in parsed ? parsed.envelope : null;
    const failed = envelope !== null && envelope.code !== NOTIFY_CODE.ok;
    const said = failed ? `${envelope.code} ${envelope.message}`.trim() : `HTTP ${status}`;
    const failure = this.statusFailure(label, reply, said, () => (failed ? String(envelope.code) : `HTTP_${status}`));
    if (failure) throw failure;
    if (status !== 200) throw this.badResponse(`${label} 返回了契约外的 HTTP ${status}`);
    if (!envelope) throw this.badResponse(`${label} ${'problem' in parsed ? parsed.problem : ''}`);
    if (failed) {
      if (NOTIFY_UNAVAILABLE_CODES.has(envelope.code)) throw new PlatformUnavailableError(SYSTEM, `通知网关 ${label} 业务错误（${said}）`);
      throw new PlatformRejectedError(SYSTEM, String(envelope.code), `通知网关 ${label} 业务错误（${said}）`);
    }
    return envelope.data;
  }
}

function parseEnvelope(text: string): { envelope: NotifyEnvelope } | { problem: string } {
  return parseJsonEnvelope(text, notifyEnvelopeSchema, '{code,message,data}');
}
