/**
 * The notification model the rest of the system speaks: which template goes to whom over which
 * channel. Wording lives in notify.templates.ts and the gateway's wire format in notify.wire.ts;
 * callers only ever name a template and fill its parameters.
 */

export type NotificationChannel = 'SMS' | 'EMAIL';

/**
 * Applicant-facing: CORRECTION_REMINDER, PICKUP_READY (PICKUP_READY_CERTIFICATE with an e-certificate), RESULT_MAILED.
 * Staff-facing: DEADLINE_AT_RISK, DEADLINE_OVERDUE. Ops-facing: TRANSFER_FAILED.
 */
export type NotificationTemplate =
  | 'DEADLINE_AT_RISK'
  | 'DEADLINE_OVERDUE'
  | 'CORRECTION_REMINDER'
  | 'PICKUP_READY'
  | 'PICKUP_READY_CERTIFICATE'
  | 'RESULT_MAILED'
  | 'TRANSFER_FAILED';

export interface OutboundMessage {
  /**
   * Same key and same message ⇒ one message sent, however often `send` is called: the
   * notifications job retries a failed send with the key it used the first time.
   */
  idempotencyKey: string;
  channel: NotificationChannel;
  /** Mainland mobile number (`^1[3-9]\d{9}$`) for SMS, an e-mail address for EMAIL. */
  to: string;
  template: NotificationTemplate;
  /** Values for the template's placeholders, exactly those the template names (see notify.templates.ts). */
  params: Record<string, string>;
  /** Fills `{businessNo}` in the templates that show it, and lets the gateway's records be traced to the case. */
  businessNo?: string;
}

export interface SentReceipt {
  messageId: string;
  /** ISO-8601 with the gateway's +08:00 offset, e.g. `2024-05-01T09:30:00.000+08:00`. */
  acceptedAt: string;
  /** True when the gateway had already accepted this idempotency key: nothing new was sent. */
  duplicate: boolean;
}

export interface NotificationPort {
  send(message: OutboundMessage): Promise<SentReceipt>;
}

/** ACCEPTED: queued at the gateway; SENT: handed to the carrier or mail server; DELIVERED / FAILED: final. */
export type DeliveryStatus = 'ACCEPTED' | 'SENT' | 'DELIVERED' | 'FAILED';

/** What the gateway knows about one message; not part of the port, for ops looking into a complaint. */
export interface DeliveryReport {
  messageId: string;
  idempotencyKey: string;
  channel: NotificationChannel;
  status: DeliveryStatus;
  acceptedAt: string;
  updatedAt: string;
  /** The carrier's reason, when FAILED. */
  failureReason?: string;
}
