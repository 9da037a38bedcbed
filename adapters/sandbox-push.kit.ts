/**
 * How the sandboxes deliver their signed pushes (webhooks, tracking events): one chain per
 * record so a record's pushes arrive in order while different records do not wait for each
 * other, retries with doubling waits that close() cuts short, and a lifetime that close()
 * aborts — so no push outlives its sandbox. What is pushed, how it is signed and what is
 * logged stays in each sandbox.
 *
 * Development and integration tests only; nothing in it is for production.
 */
import type { SandboxRuntime } from './sandbox.kit.js';

export type PushResult = 'DELIVERED' | 'GAVE_UP' | 'CLOSED';

/** Attempts per push, the wait before the second (doubling after each failure), and each attempt's timeout. */
export interface PushRetries {
  attempts: number;
  retryDelayMs: number;
  timeoutMs: number;
}

/** Defaults: 4 attempts, 200 ms before the second, 5 s per attempt. */
export function pushRetries(given: Partial<PushRetries>): PushRetries {
  return { attempts: given.attempts ?? 4, retryDelayMs: given.retryDelayMs ?? 200, timeoutMs: given.timeoutMs ?? 5000 };
}

export interface PushDeliveries {
  /** One POST of `body` with `headers` (JSON content type added); resolves with the HTTP status once the answer was read. */
  post(url: string, body: string, headers?: Record<string, string>): Promise<number>;
  /** Runs `attempt` (true: delivered) as PushRetries say; stops at once when the sandbox closes. */
  withRetries(attempt: (n: number) => Promise<boolean>): Promise<PushResult>;
  /** Runs `deliver` after every earlier delivery for `key` settled, tracked until it settles. */
  enqueue(key: string, deliver: () => Promise<void>): Promise<void>;
  /** Tracks a one-off delivery (a replay, a crafted push) so that settled() and close() wait for it. */
  track<T>(delivery: Promise<T>): Promise<T>;
  /** Resolves when every delivery started so far, and any it started, has settled. */
  settled(): Promise<void>;
  /** Aborts the requests in flight and waits for every delivery to settle. */
  close(): Promise<void>;
}

export function createPushDeliveries(rt: Pick<SandboxRuntime, 'isClosed' | 'pause'>, retries: PushRetries): PushDeliveries {
  const { attempts, retryDelayMs, timeoutMs } = retries;
  const chains = new Map<string, Promise<void>>();
  const pending = new Set<Promise<unknown>>();
  const lifetime = new AbortController();

  function track<T>(delivery: Promise<T>): Promise<T> {
    pending.add(delivery);
    void delivery.finally(() => pending.delete(delivery)).catch(() => undefined);
    return delivery;
  }

  return {
    async post(url, body, headers = {}) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
        body,
        signal: AbortSignal.any([lifetime.signal, AbortSignal.timeout(timeoutMs)]),
      });
      await response.arrayBuffer();
      return response.status;
    },
    async withRetries(attempt) {
      for (let n = 1; n <= attempts; n += 1) {
        if (rt.isClosed()) return 'CLOSED';
        if (await attempt(n)) return 'DELIVERED';
        if (rt.isClosed()) return 'CLOSED';
        if (n < attempts) await rt.pause(retryDelayMs * 2 ** (n - 1));
      }
      return rt.isClosed() ? 'CLOSED' : 'GAVE_UP';
    },
    enqueue(key, deliver) {
      const delivery = (chains.get(key) ?? Promise.resolve()).then(deliver);
      chains.set(key, delivery);
      return track(delivery);
    },
    track,
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close() {
      lifetime.abort();
      await Promise.allSettled([...pending]);
    },
  };
}

/** Whether the receiver took the push: any 2xx. */
export const delivered = (status: number): boolean => status >= 200 && status < 300;

/** What a failed attempt logs: the error's message (fetch's abort and network errors are Errors). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
