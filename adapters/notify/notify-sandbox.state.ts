/**
 * The notification gateway sandbox's records: every accepted message, once per requestId
 * however often it is resent, checked against its registered template, and an outbox that
 * tests and developers read instead of a phone or a mailbox.
 */
import { parseJsonBody } from '../sandbox-faults.kit.js';
import { envelopeReply, type EnvelopeReply } from '../sandbox.kit.js';
import { canonicalJson } from '../wire.kit.js';
import type { NotificationChannel, NotificationTemplate } from './notify.port.js';
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

export type Reply = EnvelopeReply<NotifyEnvelope>;

export const ok = (data: unknown): Reply => envelopeReply(200, { code: NOTIFY_CODE.ok, message: '成功', data });

export const fail = (status: number, code: number, message: string, headers?: Record<string, string>): Reply => envelopeReply(status, { code, message }, headers);

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

interface StoredMessage {
  /** Canonical JSON of the accepted body: a resend must match it to count as the same message. */
  body: string;
  entry: OutboxEntry;
}

const PROBLEM_CODES: Record<NotificationProblem, number> = {
  INVALID_RECIPIENT: NOTIFY_CODE.invalidRecipient,
  UNKNOWN_TEMPLATE: NOTIFY_CODE.templateMismatch,
  INVALID_PARAMS: NOTIFY_CODE.templateMismatch,
  TOO_LONG: NOTIFY_CODE.contentTooLong,
};

export interface NotifyStateOptions {
  /** Sets this sandbox's message ids apart from another instance's. */
  instance: string;
  now: () => number;
  /** Numbers or addresses refused with 20001 RECIPIENT_BLOCKED (退订 / 黑名单). */
  blockedRecipients?: readonly string[];
}

export function createNotifyState(opts: NotifyStateOptions) {
  const blocked = new Set(opts.blockedRecipients);
  let outbox: OutboxEntry[] = [];
  let messageSeq = 0;
  const messages = new Map<string, StoredMessage>();
  const byRequestId = new Map<string, StoredMessage>();

  function accepted(stored: StoredMessage, duplicate: boolean): Reply {
    const { requestId, messageId, receivedAt } = stored.entry;
    const data: NotifySendResult = { requestId, messageId, acceptedAt: receivedAt, duplicate };
    return ok(data);
  }

  return {
    sendMessage(raw: Buffer): Reply {
      const body = parseJsonBody(raw, () => fail(400, NOTIFY_CODE.paramError, '请求体不是合法 JSON'));
      if (!('json' in body)) return body;
      const { json } = body;
      const parsed = notifySendRequestSchema.safeParse(json);
      if (!parsed.success) return fail(400, NOTIFY_CODE.paramError, `参数错误：${describeIssues(parsed.error)}`);
      const request: NotifySendRequest = parsed.data;
      const canonical = canonicalJson(json);
      const earlier = byRequestId.get(request.requestId);
      if (earlier) {
        if (earlier.body !== canonical) return fail(409, NOTIFY_CODE.idempotencyConflict, 'requestId 已用于另一条消息');
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
        messageId: `M${opts.instance}${String(messageSeq).padStart(10, '0')}`,
        requestId: request.requestId,
        channel: request.channel,
        to: request.to,
        template: request.templateCode as NotificationTemplate,
        params: { ...request.params },
        ...(request.businessNo === undefined ? {} : { businessNo: request.businessNo }),
        ...(request.subject === undefined ? {} : { subject: request.subject }),
        text: request.content,
        receivedAt: formatNotifyTime(opts.now()),
      };
      const stored = { body: canonical, entry };
      messages.set(entry.messageId, stored);
      byRequestId.set(entry.requestId, stored);
      outbox.push(entry);
      return accepted(stored, false);
    },
    /** The sandbox has no carrier behind it: an accepted message counts as delivered at once. */
    messageStatus(messageId: string): Reply {
      const stored = messages.get(messageId);
      if (!stored) return fail(404, NOTIFY_CODE.messageNotFound, `消息不存在：${messageId}`);
      const { requestId, channel, receivedAt } = stored.entry;
      const data: NotifyStatusResult = { messageId, requestId, channel, status: 'DELIVERED', acceptedAt: receivedAt, updatedAt: receivedAt };
      return ok(data);
    },
    outbox: () => outbox.map((entry) => structuredClone(entry)),
    /** Empties the outbox; the gateway still remembers the requestIds it accepted. */
    clearOutbox(): void {
      outbox = [];
    },
  };
}
