import type { OutgoingHttpHeaders } from 'node:http';
import type { HttpAnswer, HttpFetch } from '../adapters/http-client.kit.js';
import { createKeepAliveTransport, readHeader, type KeepAliveOptions } from './keep-alive.transport.js';

/**
 * The platform clients' HttpFetch over kept-alive connections
 * (lib/keep-alive.transport.ts): a worker makes one exchange per job, and the
 * clients read only the status, a header and the whole body (HttpAnswer), so the
 * answer is exactly that, with the body read in full before it resolves — the
 * deadline covers all of it.
 *
 * Like the global fetch: a network failure rejects with `TypeError('fetch failed')` (the
 * cause attached), an aborted signal rejects with its reason (`TimeoutError` for
 * `AbortSignal.timeout`), and redirects are never followed (the clients never want one).
 */
export type KeepAliveFetch = HttpFetch & {
  /** Closes the pooled connections (idle ones at once; busy ones when their exchange ends). */
  close(): void;
};

export function createKeepAliveFetch(options: KeepAliveOptions = {}): KeepAliveFetch {
  const transport = createKeepAliveTransport(options);

  const keepAliveFetch: HttpFetch = async (input, init) => {
    const url = typeof input === 'string' ? new URL(input) : input;
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`fetch failed: unsupported protocol ${url.protocol}`);
    const body = requestBody(init.body);
    const signal = init.signal ?? undefined;
    let answer;
    try {
      answer = await transport.send(
        url,
        { method: init.method ?? 'GET', headers: requestHeaders(init.headers), ...(body === undefined ? {} : { body }) },
        signal ? { signal } : {},
      );
    } catch (error) {
      if (signal?.aborted && error === signal.reason) throw error;
      throw new TypeError('fetch failed', { cause: error });
    }
    const text = answer.body.toString('utf8');
    const headers = answer.headers;
    return { status: answer.status, headers: { get: (name) => readHeader(headers, name) }, text: () => Promise.resolve(text) } satisfies HttpAnswer;
  };

  return Object.assign(keepAliveFetch, { close: () => transport.close() });
}

function requestBody(body: RequestInit['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  throw new TypeError('keep-alive fetch sends string or byte bodies only');
}

function requestHeaders(headers: RequestInit['headers']): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  if (headers === undefined) return out;
  const entries = headers instanceof Headers || Array.isArray(headers) ? headers : Object.entries(headers);
  for (const [name, value] of entries) out[name.toLowerCase()] = value;
  return out;
}
