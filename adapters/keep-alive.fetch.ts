/**
 * The adapters' clients' HTTP over node:http(s) with a keep-alive pool. The global fetch
 * (undici) spends most of a small exchange in its WHATWG stream, request and Response
 * machinery — several times what the bytes cost — and a worker makes one such exchange
 * per job. The clients read only the status, a header and the whole body (HttpAnswer),
 * so the answer is exactly that, with the body read in full before it resolves: the
 * deadline covers all of it.
 *
 * Like the global fetch: a network failure rejects with `TypeError('fetch failed')` (the
 * cause attached), an aborted signal rejects with its reason (`TimeoutError` for
 * `AbortSignal.timeout`), and redirects are never followed (the clients never want one).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { HttpAnswer, HttpFetch } from './http-client.kit.js';

export interface KeepAliveFetchOptions {
  /**
   * Idle pooled connections are closed after this long. Below the usual 5 s keep-alive of
   * servers (Node's default), so a request is not written onto a connection the server is
   * closing at that moment — which would fail a submission that then waits for a retry.
   */
  idleMs?: number;
  /** Connections per host at most; requests beyond it wait for a free one. */
  maxSockets?: number;
}

export type KeepAliveFetch = HttpFetch & {
  /** Closes the pooled connections (idle ones at once; busy ones when their exchange ends). */
  close(): void;
};

export function createKeepAliveFetch(options: KeepAliveFetchOptions = {}): KeepAliveFetch {
  const agentOptions = { keepAlive: true, timeout: options.idleMs ?? 4000, maxSockets: options.maxSockets ?? 64, scheduling: 'lifo' as const };
  const http = new HttpAgent(agentOptions);
  const https = new HttpsAgent(agentOptions);

  const keepAliveFetch: HttpFetch = (input, init) => {
    const url = typeof input === 'string' ? new URL(input) : input;
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let body: string | Uint8Array | undefined;
    try {
      body = requestBody(init.body);
    } catch (error) {
      return Promise.reject(error);
    }
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') return Promise.reject(new TypeError(`fetch failed: unsupported protocol ${url.protocol}`));
    const headers = requestHeaders(init.headers);
    if (body !== undefined) headers['content-length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;

    return new Promise<HttpAnswer>((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(url, { method: init.method ?? 'GET', headers, agent: secure ? https : http });
      const onAbort = () => {
        req.destroy();
        reject(signal!.reason);
      };
      const done = () => signal?.removeEventListener('abort', onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (error) => {
        done();
        reject(new TypeError('fetch failed', { cause: error }));
      });
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => {
          done();
          reject(new TypeError('fetch failed', { cause: error }));
        });
        res.on('end', () => {
          done();
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: answerHeaders(res.headers), text: () => Promise.resolve(text) });
        });
      });
      req.end(body);
    });
  };

  return Object.assign(keepAliveFetch, {
    close() {
      http.destroy();
      https.destroy();
    },
  });
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

/** Headers.get's reading of node's (lower-cased) headers: repeated ones joined with ", ". */
function answerHeaders(headers: IncomingHttpHeaders): HttpAnswer['headers'] {
  return {
    get(name) {
      const value = headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
  };
}
