import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface SubgraphRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface SubgraphFetcher {
  (url: string, init?: SubgraphRequestInit): Promise<SubgraphResponse>;
  /** Closes the pooled connections. */
  close(): void;
}

/** Below the 5 s after which Node servers close idle connections, so the pool gives them up first. */
const IDLE_MS = 4_000;

export class SubgraphTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * The gateway's client for its subgraphs: node:http over a pool of kept-alive
 * connections. Every client request of a federated query becomes several
 * subgraph requests, so this is the gateway's hottest path; Node's fetch
 * (undici through the WHATWG streams and Request/Response objects) costs about
 * twice the CPU per request for the small JSON bodies subgraphs exchange (see
 * BENCHMARKS.md). A deadline covers the whole exchange, connection included.
 *
 * A pooled connection can be closed by the server just as a request goes out on
 * it (Node servers drop idle connections after 5 s). Idle connections are
 * therefore given up after 4 s, and a request that failed on a reused connection
 * before any answer arrived — so the server never read it — is sent once more on
 * a fresh one.
 */
export function createSubgraphFetcher(options: { timeoutMs: number; maxSockets?: number }): SubgraphFetcher {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 256, scheduling: 'lifo' as const, timeout: IDLE_MS };
  const http = new HttpAgent(agentOptions);
  const https = new HttpsAgent(agentOptions);

  const fetcher = (url: string, init: SubgraphRequestInit = {}) => {
    const deadline = Date.now() + options.timeoutMs;
    const attempt = (retried: boolean): Promise<SubgraphResponse> =>
      send(url, init, deadline).catch((error: Error & { reusedSocket?: boolean }) => {
        if (retried || !error.reusedSocket || Date.now() >= deadline) throw error;
        return attempt(true);
      });
    return attempt(false);
  };

  const send = (url: string, init: SubgraphRequestInit, deadline: number) =>
    new Promise<SubgraphResponse>((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      const body = init.body === undefined ? undefined : Buffer.isBuffer(init.body) ? init.body : Buffer.from(init.body);
      const headers: Record<string, string | number> = { ...init.headers };
      if (body) headers['content-length'] = body.length;

      const request = (secure ? httpsRequest : httpRequest)(target, { method: init.method ?? 'GET', headers, agent: secure ? https : http });
      const timer = setTimeout(
        () => request.destroy(new SubgraphTimeoutError(`no answer from ${target.host} within ${options.timeoutMs} ms`)),
        Math.max(0, deadline - Date.now()),
      );
      let answered = false;
      const fail = (error: Error) => {
        clearTimeout(timer);
        const silentReset = !answered && request.reusedSocket && !(error instanceof SubgraphTimeoutError);
        reject(Object.assign(error, { reusedSocket: silentReset }));
      };
      request.once('error', fail);
      request.once('response', (response: IncomingMessage) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('error', fail);
        response.once('end', () => {
          clearTimeout(timer);
          resolve(new SubgraphResponse(url, response, Buffer.concat(chunks)));
        });
      });
      request.end(body);
    });

  return Object.assign(fetcher, {
    close: () => {
      http.destroy();
      https.destroy();
    },
  });
}

/** The part of a fetch Response that Apollo's RemoteGraphQLDataSource reads, over a body already received. */
export class SubgraphResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly redirected = false;
  readonly bodyUsed = false;
  readonly headers: SubgraphResponseHeaders;

  constructor(
    readonly url: string,
    response: IncomingMessage,
    private readonly body: Buffer,
  ) {
    this.status = response.statusCode ?? 0;
    this.statusText = response.statusMessage ?? '';
    this.ok = this.status >= 200 && this.status < 300;
    this.headers = new SubgraphResponseHeaders(response.headers);
  }

  async text(): Promise<string> {
    return this.body.toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.body.toString('utf8'));
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return this.body.buffer.slice(this.body.byteOffset, this.body.byteOffset + this.body.byteLength) as ArrayBuffer;
  }

  clone(): SubgraphResponse {
    return this;
  }
}

/**
 * The part of fetch's Headers that Apollo reads (`get`, `has`), over the headers
 * Node has already parsed: a WHATWG Headers object filled per answer cost more
 * than all else this client does with it.
 */
export class SubgraphResponseHeaders {
  constructor(private readonly headers: IncomingHttpHeaders) {}

  get(name: string): string | null {
    const value = this.headers[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  has(name: string): boolean {
    return this.headers[name.toLowerCase()] !== undefined;
  }
}
