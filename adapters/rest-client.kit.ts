/**
 * The common part of the signed REST clients (渝快办, the courier, the notification gateway):
 * their options and defaults, the breaker-guarded call, the exchange and the HTTP-status part
 * of reading an answer, and how a contract breach is worded. What is signed, the envelope and
 * the error-code table stay in each client.
 */
import type { z } from 'zod';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import { fetchText, guardedCall, httpStatusFailure, type HttpFetch, type RawReply } from './http-client.kit.js';
import { PlatformBadResponseError, PlatformUnavailableError } from './platform.errors.js';
import { describeZodIssues } from './wire.kit.js';

export interface RestClientOptions {
  /** e.g. `https://platform.example.gov.cn` or with a path prefix; no trailing slash needed. */
  baseUrl: string;
  /** Per attempt, from sending the request to having read the whole body. */
  timeoutMs: number;
  fetch?: HttpFetch;
  /** Extra attempts for idempotent reads after the first (default 2); writes are never retried here. */
  retries?: number;
  /** Backoff before the first retry; doubles each time, with jitter (default 100 ms). */
  retryBaseMs?: number;
  /** Defaults: 5 consecutive failures open the circuit for 30 s; `now` defaults to the client's. */
  circuitBreaker?: Partial<CircuitBreakerOptions>;
  /** Clock for the signature timestamp, unix ms. */
  now?: () => number;
  nonce?: () => string;
}

/** Who the platform is in errors: its system (`COURIER`) and how messages name it (`政务专递`). */
export interface PlatformName {
  system: string;
  displayName: string;
}

/**
 * The defaults the clients share: 2 retries from 100 ms, the global fetch, the system clock,
 * and a breaker that opens for 30 s after 5 consecutive failures (on the client's clock
 * unless the options say otherwise).
 */
export abstract class SignedRestClient {
  protected readonly baseUrl: string;
  protected readonly fetchImpl: HttpFetch;
  protected readonly retries: number;
  protected readonly retryBaseMs: number;
  protected readonly now: () => number;
  protected readonly nonce: () => string;
  protected readonly breaker: CircuitBreaker;

  protected constructor(
    private readonly restOptions: RestClientOptions,
    defaultNonce: () => string,
    protected readonly platform: PlatformName,
  ) {
    this.now = restOptions.now ?? Date.now;
    this.baseUrl = restOptions.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = restOptions.fetch ?? (globalThis.fetch as HttpFetch);
    this.retries = restOptions.retries ?? 2;
    this.retryBaseMs = restOptions.retryBaseMs ?? 100;
    this.nonce = restOptions.nonce ?? defaultNonce;
    this.breaker = this.newBreaker();
  }

  /** A breaker of the client's options (a client may guard some of its calls with one of their own). */
  protected newBreaker(): CircuitBreaker {
    return new CircuitBreaker({ failureThreshold: 5, resetAfterMs: 30_000, now: this.now, ...this.restOptions.circuitBreaker });
  }

  get circuitState() {
    return this.breaker.state;
  }

  /** `send` through the breaker (the API calls' unless told); retried (see guardedCall) only when `idempotent`. */
  protected guarded<T>(send: () => Promise<T>, idempotent: boolean, breaker = this.breaker): Promise<T> {
    const { system, displayName } = this.platform;
    return guardedCall(send, {
      breaker,
      circuitOpen: (error) => new PlatformUnavailableError(system, `${displayName}连续失败，已熔断：${error.message}`, { cause: error, retryAfterMs: error.retryAfterMs }),
      idempotent,
      retries: this.retries,
      retryBaseMs: this.retryBaseMs,
    });
  }

  /** One exchange under the client's timeout; `label` is `METHOD /path`, for messages. */
  protected exchange(url: string | URL, init: RequestInit, label: string): Promise<RawReply> {
    return fetchText(url, init, { fetch: this.fetchImpl, ...this.platform, label, timeoutMs: this.restOptions.timeoutMs });
  }

  /** httpStatusFailure() for this platform, on the client's clock. */
  protected statusFailure(label: string, reply: RawReply, said: string, rejectCode: () => string) {
    return httpStatusFailure({ ...this.platform, label, status: reply.status, said, rejectCode, retryAfter: reply.retryAfter, now: this.now });
  }

  protected badResponse(message: string): PlatformBadResponseError {
    return new PlatformBadResponseError(this.platform.system, `${this.platform.displayName} ${message}`);
  }

  /** `value` (the envelope's `field`) read with `schema`, or a bad response naming what breaks the contract. */
  protected parsed<S extends z.ZodType>(schema: S, value: unknown, label: string, field = 'data'): z.infer<S> {
    const result = schema.safeParse(value);
    if (!result.success) throw this.badResponse(`${label} 的 ${field} 不符合契约：${describeZodIssues(result.error)}`);
    return result.data;
  }
}
