/**
 * A stand-in for the notification gateway that speaks CONTRACT.md over real HTTP: signed
 * requests, replay protection, registered-template checks, idempotent sending by requestId,
 * delivery status, and injectable faults. Instead of reaching a phone or a mailbox, every
 * accepted message lands once in an outbox that tests and developers can read. Development and
 * integration tests run against it; nothing in it is for production.
 *
 * Determinism: faults draw from a seeded PRNG, so a test sees the same behaviour on every run.
 */
import { randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createNonceMemory, createSandboxRuntime, envelopeSender, listen, type SandboxFaults, serveApiRequest } from '../sandbox.kit.js';
import { serveFaultControl } from '../sandbox-faults.route.js';
import { canonicalJson } from '../wire.kit.js';
import type { NotificationChannel, NotificationTemplate } from './notify.port.js';
import { checkNotifySignature, NOTIFY_HEADER, NOTIFY_TIMESTAMP_TOLERANCE_MS } from './notify.signature.js';
import { renderNotification, type NotificationProblem } from './notify.templates.js';
import {
  describeIssues,
  formatNotifyTime,
  NOTIFY_CODE,
  notifySendRequestSchema,
  type NotifyEnvelope,
  type NotifySendRequest,
  type NotifySendResult,
  type NotifyStatusResult,
} from './notify.wire.js';

/**
 * Fault injection (see sandbox.kit): errors are 500 SYSTEM_ERROR or 503 SYSTEM_BUSY and 429 is RATE_LIMITED,
 * all without processing the request; a malformed answer means the message was sent and the answer lost.
 */
export type NotifySandboxFaults = SandboxFaults;

export interface NotifySandboxOptions {
  /** 0 or absent: any free port. */
  port?: number;
  host?: string;
  appId: string;
  secret: string;
  faults?: NotifySandboxFaults;
  seed?: number;
  now?: () => number;
  toleranceMs?: number;
  /** Numbers or addresses the gateway refuses with 20001 RECIPIENT_BLOCKED (退订 / 黑名单). */
  blockedRecipients?: readonly string[];
}

export interface OutboxEntry {
  messageId: string;
  requestId: string;
  channel: NotificationChannel;
  to: string;
  template: NotificationTemplate;
  params: Record<string, string>;
  businessNo?: string;
  /** EMAIL only. */
  subject?: string;
  /** What the recipient reads: the SMS with its signature, or the e-mail body. */
  text: string;
  receivedAt: string;
}

export interface NotifySandbox {
  url: string;
  port: number;
  /** Resolves even while requests hang on a timeout fault: their sockets are destroyed. */
  close(): Promise<void>;
  setFaults(faults: NotifySandboxFaults): void;
  /** Every message accepted since the start or the last clearOutbox(), once each however often it was resent, oldest first. */
  outbox(): OutboxEntry[];
  /** Empties the outbox; the gateway still remembers the requestIds it accepted. */
  clearOutbox(): void;
  /** Requests received per endpoint (`POST /v1/messages`, `GET /v1/messages/{id}`), faulted ones included. */
  requestCounts(): Record<string, number>;
  resetCounts(): void;
}

type Endpoint = 'POST /v1/messages' | 'GET /v1/messages/{id}';

interface Reply {
  status: number;
  envelope: NotifyEnvelope;
  headers?: Record<string, string>;
}

interface StoredMessage {
  /** Canonical JSON of the accepted body: a resend must match it to count as the same message. */
  body: string;
  entry: OutboxEntry;
}

const MAX_BODY_BYTES = 64 * 1024;

const PROBLEM_CODES: Record<NotificationProblem, number> = {
  INVALID_RECIPIENT: NOTIFY_CODE.invalidRecipient,
  UNKNOWN_TEMPLATE: NOTIFY_CODE.templateMismatch,
  INVALID_PARAMS: NOTIFY_CODE.templateMismatch,
  TOO_LONG: NOTIFY_CODE.contentTooLong,
};

function ok(data: unknown): Reply {
  return { status: 200, envelope: { code: NOTIFY_CODE.ok, message: '成功', data } };
}

function fail(status: number, code: number, message: string, headers?: Record<string, string>): Reply {
  return { status, envelope: { code, message }, ...(headers ? { headers } : {}) };
}

function matchRoute(method: string, pathname: string): { endpoint: Endpoint; messageId?: string } | null {
  if (method === 'POST' && pathname === '/v1/messages') return { endpoint: 'POST /v1/messages' };
  const one = /^\/v1\/messages\/([^/]+)$/.exec(pathname);
  if (method === 'GET' && one) return { endpoint: 'GET /v1/messages/{id}', messageId: decodeURIComponent(one[1]!) };
  return null;
}

export async function startNotifySandbox(opts: NotifySandboxOptions): Promise<NotifySandbox> {
  const host = opts.host ?? '127.0.0.1';
  const now = opts.now ?? Date.now;
  const toleranceMs = opts.toleranceMs ?? NOTIFY_TIMESTAMP_TOLERANCE_MS;
  const rt = createSandboxRuntime(opts.seed ?? 20230301, opts.faults);
  const blocked = new Set(opts.blockedRecipients);
  // Message ids differ between sandbox instances, so a long-lived worker never confuses two runs' messages.
  const instance = String(randomInt(1000)).padStart(3, '0');

  let outbox: OutboxEntry[] = [];
  let messageSeq = 0;
  const messages = new Map<string, StoredMessage>();
  const byRequestId = new Map<string, StoredMessage>();
  /** Nonces are remembered for twice the window: as long as a request carrying one could still pass the timestamp check. */
  const nonces = createNonceMemory(2 * toleranceMs);

  const { pause } = rt;

  function authenticate(req: IncomingMessage, raw: Buffer): Reply | null {
    if (req.headers[NOTIFY_HEADER.app] !== opts.appId) return fail(401, NOTIFY_CODE.appUnknown, '应用标识无效');
    const at = now();
    const check = checkNotifySignature({ appId: opts.appId, secret: opts.secret, headers: req.headers, body: raw, now: at, toleranceMs });
    if (!check.ok) {
      const code = check.reason === 'STALE_TIMESTAMP' ? NOTIFY_CODE.timestampExpired : NOTIFY_CODE.signatureInvalid;
      return fail(401, code, `认证失败：${check.detail}`);
    }
    if (!nonces.claim(check.nonce, at)) return fail(401, NOTIFY_CODE.nonceReplayed, 'nonce 已使用');
    return null;
  }

  function accepted(stored: StoredMessage, duplicate: boolean): Reply {
    const { requestId, messageId, receivedAt } = stored.entry;
    const data: NotifySendResult = { requestId, messageId, acceptedAt: receivedAt, duplicate };
    return ok(data);
  }

  function sendMessage(raw: Buffer): Reply {
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return fail(400, NOTIFY_CODE.paramError, '请求体不是合法 JSON');
    }
    const parsed = notifySendRequestSchema.safeParse(json);
    if (!parsed.success) return fail(400, NOTIFY_CODE.paramError, `参数错误：${describeIssues(parsed.error)}`);
    const request: NotifySendRequest = parsed.data;
    const body = canonicalJson(json);
    const earlier = byRequestId.get(request.requestId);
    if (earlier) {
      if (earlier.body !== body) return fail(409, NOTIFY_CODE.idempotencyConflict, 'requestId 已用于另一条消息');
      return accepted(earlier, true);
    }

    // A gateway sends only registered wording: the content must be exactly the template filled with the params.
    const rendering = renderNotification({ ...request, template: request.templateCode });
    if (!rendering.ok) return fail(400, PROBLEM_CODES[rendering.problem], rendering.detail);
    if (rendering.content !== request.content || rendering.subject !== request.subject) {
      return fail(400, NOTIFY_CODE.templateMismatch, `内容与报备模板 ${request.templateCode} 不一致`);
    }
    if (blocked.has(request.to)) return fail(200, NOTIFY_CODE.recipientBlocked, `接收方已退订或在黑名单中：${request.to}`);

    messageSeq += 1;
    const entry: OutboxEntry = {
      messageId: `M${instance}${String(messageSeq).padStart(10, '0')}`,
      requestId: request.requestId,
      channel: request.channel,
      to: request.to,
      template: request.templateCode as NotificationTemplate,
      params: { ...request.params },
      ...(request.businessNo === undefined ? {} : { businessNo: request.businessNo }),
      ...(request.subject === undefined ? {} : { subject: request.subject }),
      text: request.content,
      receivedAt: formatNotifyTime(now()),
    };
    const stored = { body, entry };
    messages.set(entry.messageId, stored);
    byRequestId.set(entry.requestId, stored);
    outbox.push(entry);
    return accepted(stored, false);
  }

  /** The sandbox has no carrier behind it: an accepted message counts as delivered at once. */
  function messageStatus(messageId: string): Reply {
    const stored = messages.get(messageId);
    if (!stored) return fail(404, NOTIFY_CODE.messageNotFound, `消息不存在：${messageId}`);
    const { requestId, channel, receivedAt } = stored.entry;
    const data: NotifyStatusResult = { messageId, requestId, channel, status: 'DELIVERED', acceptedAt: receivedAt, updatedAt: receivedAt };
    return ok(data);
  }

  function route(req: IncomingMessage, raw: Buffer, matched: { endpoint: Endpoint; messageId?: string }): Reply {
    const refused = authenticate(req, raw);
    if (refused) return refused;
    if (matched.endpoint === 'POST /v1/messages') return sendMessage(raw);
    return messageStatus(matched.messageId!);
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
        tooLarge: () => fail(413, NOTIFY_CODE.bodyTooLarge, `请求体超过 ${MAX_BODY_BYTES} 字节`),
        notFound: () => fail(404, NOTIFY_CODE.notFound, '接口不存在'),
        rateLimited: (retryAfter) => fail(429, NOTIFY_CODE.rateLimited, '请求过于频繁', { 'retry-after': retryAfter }),
        failure: (status) => (status === 500 ? fail(500, NOTIFY_CODE.systemError, '系统内部错误') : fail(503, NOTIFY_CODE.systemBusy, '系统繁忙')),
      },
      route: (req, _url, raw, matched) => route(req, raw, matched),
    });
  }

  const server = await listen((req, res) => {
    handle(req, res).catch(() => send(res, fail(500, NOTIFY_CODE.systemError, '系统内部错误')));
  }, { port: opts.port, host });
  const { port } = server;
  let closing: Promise<void> | undefined;

  return {
    url: server.url,
    port,
    close() {
      closing ??= (async () => {
        rt.close();
        await server.stop();
      })();
      return closing;
    },
    setFaults: rt.setFaults,
    outbox: () => outbox.map((entry) => structuredClone(entry)),
    clearOutbox() {
      outbox = [];
    },
    requestCounts: rt.requestCounts,
    resetCounts: rt.resetCounts,
  };
}
