import { DomainError } from '../domain/errors.js';

/** 5xx, timeout, network failure, 429 or an open circuit: worth retrying later. */
export class PlatformUnavailableError extends DomainError {
  readonly retryable = true;
  readonly retryAfterMs: number | undefined;

  constructor(system: string, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(`PLATFORM.${system}_UNAVAILABLE`, message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** The platform understood the request and said no (4xx, business error code): retrying cannot help. */
export class PlatformRejectedError extends DomainError {
  readonly retryable = false;
  readonly platformCode: string;

  constructor(system: string, platformCode: string, message: string, options?: { cause?: unknown }) {
    super(`PLATFORM.${system}_REJECTED`, message, options);
    this.platformCode = platformCode;
  }
}

/** The platform answered with something that is not its contract (garbage, wrong envelope, bad signature). */
export class PlatformBadResponseError extends DomainError {
  readonly retryable = true;

  constructor(system: string, message: string, options?: { cause?: unknown }) {
    super(`PLATFORM.${system}_BAD_RESPONSE`, message, options);
  }
}

export type WebhookRejection = 'BAD_SIGNATURE' | 'STALE_TIMESTAMP' | 'REPLAYED' | 'MALFORMED' | 'UNKNOWN_SENDER';

/** An inbound push that failed verification; nothing of it may be stored. */
export class WebhookRejectedError extends DomainError {
  readonly reason: WebhookRejection;

  constructor(reason: WebhookRejection, message: string, options?: { cause?: unknown }) {
    super(`WEBHOOK.${reason}`, message, options);
    this.reason = reason;
  }
}

/**
 * The platform's record under a case's platform id belongs to another business
 * number (a platform that reissued ids, e.g. a sandbox restarted with its
 * counter reset): it says nothing about this case, and is neither shown nor applied.
 */
export class PlatformRecordMismatchError extends DomainError {
  constructor(
    readonly platformCaseId: string,
    readonly businessNo: string,
    readonly recordBusinessNo: string,
  ) {
    super('PLATFORM.RECORD_MISMATCH', `平台办件 ${platformCaseId} 属于业务编号 ${recordBusinessNo}，不是办件 ${businessNo} 的记录`);
  }
}
