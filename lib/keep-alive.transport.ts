import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * HTTP/1.1 over node:http(s) with a pool of kept-alive connections: what the
 * gateway's subgraph fetcher and the platform clients share. Node's fetch
 * (undici, through WHATWG streams, Request and Response objects) costs about
 * twice the CPU per exchange for the small JSON bodies both send, and both make
 * one such exchange per subgraph fetch or per job.
 *
 * A pooled connection can be closed by the server just as a request goes out on
 * it (Node servers drop idle connections after 5 s). Idle connections are given
 * up before that, and a request that failed on a reused connection before any
 * answer arrived — so the server never read it — is sent once more on a fresh
 * one, within the same deadline.
 */
export interface KeepAliveTransport {
  /** The whole answer, body read in full; rejects with what node:http reported, or `stop`'s reason. */
  send(url: URL, request: TransportRequest, stop: Stop): Promise<TransportAnswer>;
  /** Closes the pooled connections (idle ones at once; busy ones when their exchange ends). */
  close(): void;
}

export interface TransportRequest {
  method: string;
  headers: OutgoingHttpHeaders;
  body?: string | Uint8Array;
}

export interface TransportAnswer {
  status: number;
  statusText: string;
  /** As node parsed them: names lower-cased, repeated ones as arrays. */
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * When to give up: at `deadline` (epoch ms) with `timeoutError()`, or when
 * `signal` aborts, with its reason. Both cover the whole exchange, the
 * connection and a resend included.
 */
export interface Stop {
  deadline?: number;
  timeoutError?: () => Error;
  signal?: AbortSignal;
}

export interface KeepAliveOptions {
  /** Idle pooled connections are closed after this long: below the usual 5 s keep-alive of servers. */
  idleMs?: number;
  /** Connections per host at most; requests beyond it wait for a free one. */
  maxSockets?: number;
}

export function createKeepAliveTransport(options: KeepAliveOptions = {}): KeepAliveTransport {
  const agentOptions = { keepAlive: true, timeout: options.idleMs ?? 4000, maxSockets: options.maxSockets ?? 64, scheduling: 'lifo' as const };
  const http = new HttpAgent(agentOptions);
  const https = new HttpsAgent(agentOptions);

  const exchange = (url: URL, request: TransportRequest, stop: Stop, retried: boolean): Promise<TransportAnswer> =>
    new Promise<TransportAnswer>((resolve, reject) => {
      const secure = url.protocol === 'https:';
      const headers = request.body === undefined ? request.headers : { ...request.headers, 'content-length': Buffer.byteLength(request.body) };
      const req = (secure ? httpsRequest : httpRequest)(url, { method: request.method, headers, agent: secure ? https : http });
      let answered = false;
      let settled = false;
      const settle = () => {
        settled = true;
        if (timer) clearTimeout(timer);
        stop.signal?.removeEventListener('abort', onAbort);
      };
      const giveUp = (reason: unknown) => {
        if (settled) return;
        settle();
        req.destroy();
        reject(reason);
      };
      const onAbort = () => giveUp(stop.signal!.reason);
      const timer =
        stop.deadline === undefined
          ? undefined
          : setTimeout(() => giveUp(stop.timeoutError?.() ?? new Error('deadline passed')), Math.max(0, stop.deadline - Date.now()));
      stop.signal?.addEventListener('abort', onAbort, { once: true });
      const fail = (error: Error) => {
        if (settled) return;
        settle();
        const unread = !answered && req.reusedSocket && !retried;
        const timeLeft = stop.deadline === undefined || Date.now() < stop.deadline;
        if (unread && timeLeft && !stop.signal?.aborted) resolve(exchange(url, request, stop, true));
        else reject(error);
      };
      req.on('error', fail);
      req.once('response', (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.once('end', () => {
          if (settled) return;
          settle();
          resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      req.end(request.body);
    });

  return {
    send(url, request, stop) {
      if (stop.signal?.aborted) return Promise.reject(stop.signal.reason);
      return exchange(url, request, stop, false);
    },
    close() {
      http.destroy();
      https.destroy();
    },
  };
}

/** Headers.get's reading of node's headers: any case, repeated ones joined with ", ", absent ones null. */
export function readHeader(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}
