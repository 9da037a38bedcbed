/**
 * The notification gateway's wire format (CONTRACT.md §1, §3–§6): paths, the code table, the time
 * format and the schemas both sides validate against. The rest of the system sees only
 * notify.port.ts.
 */
import { z } from 'zod';
import { describeZodIssues, IDEMPOTENCY_KEY } from '../wire.kit.js';
import type { DeliveryStatus, NotificationChannel } from './notify.port.js';

export const NOTIFY_API = {
  messages: '/v1/messages',
  /** `/v1/messages/{messageId}` */
  message: (messageId: string) => `/v1/messages/${encodeURIComponent(messageId)}`,
} as const;

/** Codes of CONTRACT.md §5. 0 is success; the HTTP status says which family a failure belongs to. */
export const NOTIFY_CODE = {
  ok: 0,
  recipientBlocked: 20001,
  paramError: 40001,
  invalidRecipient: 40002,
  templateMismatch: 40003,
  contentTooLong: 40004,
  signatureInvalid: 40101,
  timestampExpired: 40102,
  nonceReplayed: 40103,
  appUnknown: 40104,
  notFound: 40401,
  messageNotFound: 40402,
  idempotencyConflict: 40901,
  bodyTooLarge: 41301,
  rateLimited: 42901,
  systemError: 50001,
  systemBusy: 50301,
} as const;

/** Codes that mean the gateway is failing, whichever HTTP status carried them. */
export const NOTIFY_UNAVAILABLE_CODES: ReadonlySet<number> = new Set([
  NOTIFY_CODE.rateLimited,
  NOTIFY_CODE.systemError,
  NOTIFY_CODE.systemBusy,
]);

export const REQUEST_ID = IDEMPOTENCY_KEY;
export const MESSAGE_ID = /^[A-Za-z0-9_-]{1,64}$/;

const CHANNELS = ['SMS', 'EMAIL'] as const satisfies readonly NotificationChannel[];
const DELIVERY_STATUSES = ['ACCEPTED', 'SENT', 'DELIVERED', 'FAILED'] as const satisfies readonly DeliveryStatus[];

/** China has observed no daylight saving time since 1991, so the gateway's offset is a constant. */
const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;

/** ISO-8601 in Beijing time with its offset, millisecond precision: `2024-05-01T09:30:00.000+08:00`. */
export function formatNotifyTime(millis: number): string {
  return `${new Date(millis + BEIJING_OFFSET_MS).toISOString().slice(0, 23)}+08:00`;
}

const notifyTime = z.iso.datetime({ offset: true });

export const notifyEnvelopeSchema = z.object({
  code: z.number().int().min(0),
  message: z.string().max(1000),
  data: z.unknown().optional(),
});
export type NotifyEnvelope = z.infer<typeof notifyEnvelopeSchema>;

/** Strict: a field the gateway does not know is refused, not silently dropped. */
export const notifySendRequestSchema = z.strictObject({
  requestId: z.string().regex(REQUEST_ID, 'expected 1–128 visible ASCII characters'),
  channel: z.enum(CHANNELS),
  to: z.string().min(1).max(254),
  templateCode: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/),
  params: z.record(z.string().regex(/^[A-Za-z]{1,32}$/), z.string().max(1000)),
  businessNo: z.string().min(1).max(64).optional(),
  subject: z.string().min(1).max(200).optional(),
  content: z.string().min(1).max(10_000),
});
export type NotifySendRequest = z.infer<typeof notifySendRequestSchema>;

export const notifySendResultSchema = z.object({
  requestId: z.string(),
  messageId: z.string().regex(MESSAGE_ID),
  acceptedAt: notifyTime,
  duplicate: z.boolean(),
});
export type NotifySendResult = z.infer<typeof notifySendResultSchema>;

export const notifyStatusResultSchema = z.object({
  messageId: z.string().regex(MESSAGE_ID),
  requestId: z.string(),
  channel: z.enum(CHANNELS),
  status: z.enum(DELIVERY_STATUSES),
  acceptedAt: notifyTime,
  updatedAt: notifyTime,
  failureReason: z.string().max(500).optional(),
});
export type NotifyStatusResult = z.infer<typeof notifyStatusResultSchema>;

/** First few problems of a failed parse, for error messages and 400 bodies. */
export function describeIssues(error: z.ZodError): string {
  return describeZodIssues(error);
}
