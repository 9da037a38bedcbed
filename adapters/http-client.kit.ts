/**
 * Plumbing shared by the adapters' fetch-based clients: Retry-After parsing, timeout and
 * network-error wording, backoff sleeps, chunked batch calls with bounded concurrency, and
 * the breaker-guarded retry loop. Nothing here knows a platform's envelope, field names,
 * status codes or error-code table — those stay in each adapter.
 */
import type { z } from 'zod';
import { CircuitOpenError, type CircuitBreaker } from './circuit-breaker.js';
import { PlatformRejectedError, PlatformUnavailableError } from './platform.errors.js';
import { describeZodIssues } from './wire.kit.js';

/** Retry-After is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** What fetch rejects with when its deadline (fetchText's, or `AbortSignal.timeout()`) passed first. */
export function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}

/** The message of an error and of its cause (fetch hides the real network error in `cause`). */
export function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `（${error.cause.message}）` : '';
  return `${error.message}${cause}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function chunk<T>(values: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < values.length; i += size) chunks.push(values.slice(i, i + size));
  return chunks;
}

/**
 * One call per chunk of at most `size` values, at most `concurrency` in flight at once;
 * stops taking chunks after the first failure, and rejects with it.
 */
export async function forEachChunk<T>(
  values: readonly T[],
  size: number,
  concurrency: number,
  run: (chunk: T[]) => Promise<void>,
): Promise<void> {
  const chunks = chunk(values, size);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < chunks.length) {
      const current = chunks[next]!;
      next += 1;
      try {
        await run(current);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
}

export interface GuardedCallOptions {
  breaker: CircuitBreaker;
  /** Turns the breaker's refusal into the adapter's own unavailability error. */
  circuitOpen: (error: CircuitOpenError) => Error;
  /** Only idempotent calls are retried: a repeated write could do its effect twice. */
  idempotent: boolean;
  /** Extra attempts after the first. */
  retries: number;
  /** Backoff before the first retry; doubles each time, with jitter. */
  retryBaseMs: number;
}

/**
 * Runs `send` through the circuit breaker (only unavailability counts as a failure) and
 * retries idempotent calls that failed as unavailable with jittered exponential backoff —
 * except when the platform (429) or the breaker said how long to wait: a short backoff
 * would only be refused again.
 */
export async function guardedCall<T>(send: () => Promise<T>, opts: GuardedCallOptions): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await opts.breaker.run(send, (error) => error instanceof PlatformUnavailableError);
    } catch (caught) {
      const error = caught instanceof CircuitOpenError ? opts.circuitOpen(caught) : caught;
      const retryable = error instanceof PlatformUnavailableError && error.retryAfterMs === undefined;
      if (!opts.idempotent || !retryable || attempt >= opts.retries) throw error;
      const backoff = opts.retryBaseMs * 2 ** attempt;
      await sleep(backoff / 2 + Math.random() * (backoff / 2));
    }
  }
}

export interface RawReply {
  status: number;
  retryAfter: string | null;
  text: string;
}

/**
 * What the clients read of an HTTP answer. A fetch Response is one; so is the keep-alive
 * transport's answer (lib/keep-alive.fetch.ts), which has its body in memory already.
 */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  /** A streamed body, which must be read or cancelled to free its connection; absent when the body is in memory. */
  readonly body?: { cancel(): Promise<void> } | null;
  text(): Promise<string>;
}

/** The part of fetch the clients use: the global fetch, a test's spy, or the keep-alive transport. */
export type HttpFetch = (url: string | URL, init: RequestInit) => Promise<HttpAnswer>;

export interface FetchTextOptions {
  fetch: HttpFetch;
  /** Platform system for the error classes, e.g. `COURIER`. */
  system: string;
  /** How messages name the platform, e.g. `政务专递`. */
  displayName: string;
  /** `METHOD /path`, for messages. */
  label: string;
  /** From sending the request to having read the whole body. */
  timeoutMs: number;
}

/**
 * One HTTP exchange, body read in full, redirects never followed (they are in no contract
 * and would send a signed request elsewhere). A timeout or network failure leaves as
 * PlatformUnavailableError; every HTTP answer, whatever its status, is returned for the
 * adapter to interpret against its own contract.
 */
export async function fetchText(url: string | URL, init: RequestInit, opts: FetchTextOptions): Promise<RawReply> {
  // Not AbortSignal.timeout(): its timer cannot be cleared, so every call would raise a TimeoutError (stack trace and all) long after its answer came.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException(`${opts.label} timed out after ${opts.timeoutMs} ms`, 'TimeoutError')), opts.timeoutMs);
  try {
    const response = await opts.fetch(url, { ...init, redirect: 'manual', signal: deadline.signal });
    const status = response.status;
    const retryAfter = response.headers.get('retry-after');
    const text = await response.text();
    return { status, retryAfter, text };
  } catch (error) {
    if (isTimeout(error)) {
      throw new PlatformUnavailableError(opts.system, `${opts.displayName} ${opts.label} 超时（${opts.timeoutMs} ms）`, { cause: error });
    }
    throw new PlatformUnavailableError(opts.system, `${opts.displayName} ${opts.label} 网络错误：${errorMessage(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The HTTP-status part of interpreting an answer: 429 is unavailability with the platform's
 * Retry-After, 5xx unavailability, 4xx a rejection with `rejectCode` (the platform's own code
 * when its envelope carried one); null for any other status, which the adapter checks
 * against its contract. `said` is what the platform said, for the message.
 */
export function httpStatusFailure(p: {
  system: string;
  displayName: string;
  label: string;
  status: number;
  said: string;
  rejectCode: () => string;
  retryAfter: string | null;
  /** Read only for a 429. */
  now: () => number;
}): PlatformUnavailableError | PlatformRejectedError | null {
  const where = `${p.displayName} ${p.label}`;
  if (p.status === 429) {
    return new PlatformUnavailableError(p.system, `${where} 限流（${p.said}）`, { retryAfterMs: parseRetryAfter(p.retryAfter, p.now()) });
  }
  if (p.status >= 500) return new PlatformUnavailableError(p.system, `${where} 服务端错误 HTTP ${p.status}（${p.said}）`);
  if (p.status >= 400) return new PlatformRejectedError(p.system, p.rejectCode(), `${where} 拒绝请求（${p.said}）`);
  return null;
}

/**
 * An answer's text as the platform's envelope, or what is wrong with it: not JSON at all
 * (with its length and start), or JSON of another shape (`shape` names the expected one,
 * e.g. `{code,msg,data}`).
 */
export function parseJsonEnvelope<S extends z.ZodType>(text: string, schema: S, shape: string): { envelope: z.infer<S> } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: `返回的不是 JSON（${text.length} 字节：${JSON.stringify(text.slice(0, 80))}）` };
  }
  const result = schema.safeParse(json);
  return result.success ? { envelope: result.data } : { problem: `返回的不是 ${shape} 信封：${describeZodIssues(result.error)}` };
}
