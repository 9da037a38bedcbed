import type { IncomingHttpHeaders } from 'node:http';
import { createKeepAliveTransport, readHeader, type TransportAnswer } from '../lib/keep-alive.transport.js';

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

export class SubgraphTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * The gateway's client for its subgraphs, over the kept-alive connections of
 * lib/keep-alive.transport.ts: every client request of a federated query
 * becomes several subgraph requests, so this is the gateway's hottest path. A
 * deadline covers the whole exchange, connection and resend included.
 */
export function createSubgraphFetcher(options: { timeoutMs: number; maxSockets?: number }): SubgraphFetcher {
  const transport = createKeepAliveTransport({ maxSockets: options.maxSockets ?? 256 });
  const fetcher = async (url: string, init: SubgraphRequestInit = {}) => {
    const target = new URL(url);
    const answer = await transport.send(
      target,
      { method: init.method ?? 'GET', headers: init.headers ?? {}, ...(init.body === undefined ? {} : { body: init.body }) },
      {
        deadline: Date.now() + options.timeoutMs,
        timeoutError: () => new SubgraphTimeoutError(`no answer from ${target.host} within ${options.timeoutMs} ms`),
      },
    );
    return new SubgraphResponse(url, answer);
  };
  return Object.assign(fetcher, { close: () => transport.close() });
}

/** The part of a fetch Response that Apollo's RemoteGraphQLDataSource reads, over a body already received. */
export class SubgraphResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly redirected = false;
  readonly bodyUsed = false;
  readonly headers: SubgraphResponseHeaders;

  private readonly body: Buffer;

  constructor(
    readonly url: string,
    answer: TransportAnswer,
  ) {
    this.status = answer.status;
    this.statusText = answer.statusText;
    this.ok = this.status >= 200 && this.status < 300;
    this.headers = new SubgraphResponseHeaders(answer.headers);
    this.body = answer.body;
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
    return readHeader(this.headers, name);
  }

  has(name: string): boolean {
    return this.headers[name.toLowerCase()] !== undefined;
  }
}
