import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { GraphQLError } from 'graphql';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLResponse } from '@apollo/server';
import type { Logger } from './logger.js';
import { withRequestId } from './logger.js';

export interface HttpRequest {
  method: string;
  path: string;
  search: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  requestId: string;
  /** The peer of the TCP connection: a proxy in front, if there is one (lib/client-address.ts). */
  remoteAddress?: string;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  /** A stream is piped: a file is sent as it is read, never held whole. */
  body: string | Buffer | Readable;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  /** An exact path, or a prefix ending in `/*`. */
  path: string;
  handler: (request: HttpRequest) => Promise<HttpResponse>;
}

/**
 * A path (and everything below it) whose requests are handed over unread, for
 * endpoints that stream their bodies and answer for themselves (resumable
 * uploads): no body limit applies here, the handler enforces its own.
 */
export interface StreamRoute {
  path: string;
  handle(req: IncomingMessage, res: ServerResponse, head: HttpRequestHead): Promise<void>;
}

/** What is known of a request before its body is read. */
export type HttpRequestHead = Omit<HttpRequest, 'rawBody'>;

export interface GraphQLMount<TContext extends BaseContext, TCaller = unknown> {
  path: string;
  server: ApolloServer<TContext>;
  /**
   * Who is calling, from the headers alone. It runs before the body is read, so
   * a caller without a valid token costs the server its headers and nothing it
   * keeps; a refusal is a GraphQLError whose `extensions.http.status` is sent.
   */
  authenticate: (request: HttpRequestHead) => Promise<TCaller>;
  /** A check of the exact bytes received (a signature over them), before they are parsed; throws a refusal. */
  admit?: (request: HttpRequest, caller: TCaller) => void;
  context: (request: HttpRequest, caller: TCaller) => Promise<TContext>;
  /** Told of each request refused before GraphQL ran (for metrics). */
  onRefused?: (code: string) => void;
  /** Requests with the same key while one is executing receive its answer instead of executing again. */
  shareKey?: (request: HttpRequest, body: unknown) => string | undefined;
}

/** A refusal of a request as a whole, answered before any GraphQL work. */
export class RequestRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'RequestRefusal';
  }
}

export class MalformedPathError extends Error {
  readonly code = 'HTTP.MALFORMED_PATH';
}

/** Encoded once: every request sharing the execution is sent the same bytes. */
type CompleteResponse = { status: number; headers: [string, string][]; body: Buffer };

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface HttpServerOptions<TContext extends BaseContext, TCaller = unknown> {
  host: string;
  port: number;
  logger: Logger;
  routes?: Route[];
  streams?: StreamRoute[];
  graphql?: GraphQLMount<TContext, TCaller>;
  maxBodyBytes?: number;
  /** How long a client may take to send its headers (default 10 s), and its whole request (default 30 s): 408 after. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** How long close() lets requests in flight finish (default 10 s, within lib/shutdown.ts's 15 s). */
  drainMs?: number;
  /**
   * Runs each request in a scope carrying its id, which log lines and queued jobs
   * pick up (default). The gateway turns it off: it queues nothing and passes the
   * id on explicitly, and on Node 20 the scope's async hooks tax every promise of
   * every request.
   */
  requestIdScope?: boolean;
}

export class PayloadTooLargeError extends Error {
  readonly code = 'INPUT.PAYLOAD_TOO_LARGE';
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}

/**
 * A deliberately small HTTP layer: Apollo Server's own request pipeline for
 * GraphQL, plain handlers for health, webhooks and pages. The raw body is kept
 * because webhook signatures are computed over the exact bytes received.
 */
export async function startHttpServer<TContext extends BaseContext, TCaller = unknown>(
  options: HttpServerOptions<TContext, TCaller>,
): Promise<RunningServer> {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const drainMs = options.drainMs ?? 10_000;
  const routes = new Map((options.routes ?? []).map((route) => [`${route.method} ${route.path}`, route]));
  const prefixRoutes = (options.routes ?? []).filter((route) => route.path.endsWith('/*'));

  // Responses not yet begun, so that close() can still tell their clients not to send another request down this connection.
  const unanswered = new Set<ServerResponse>();
  let draining = false;
  const server = createServer({ connectionsCheckingInterval: Math.min(1_000, options.headersTimeoutMs ?? 1_000) }, (req, res) => {
    if (draining) res.shouldKeepAlive = false;
    else {
      unanswered.add(res);
      res.once('close', () => unanswered.delete(res));
    }
    const requestId = headerValue(req.headers['x-request-id']) ?? randomUUID();
    res.setHeader('x-request-id', requestId);
    const run = () =>
      handle(req, res, requestId).catch((error: unknown) => {
        if (error instanceof PayloadTooLargeError) {
          // The rest of the body is not read: the connection goes with the answer.
          send(res, json(413, { error: { code: error.code, message: error.message } }, { connection: 'close' }));
          return;
        }
        if (error instanceof MalformedPathError || error instanceof URIError) {
          send(res, json(400, { error: { code: 'HTTP.MALFORMED_PATH', message: 'the request path is not a valid URL path' } }));
          return;
        }
        options.logger.error({ err: error, path: req.url, requestId }, 'unhandled error in http handler');
        if (!res.headersSent) send(res, json(500, { error: { code: 'INTERNAL', message: 'internal error' } }));
        else res.destroy();
      });
    if (options.requestIdScope === false) void run();
    else withRequestId(requestId, run);
  });

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const parsed = parseTarget(req.url);
    const method = req.method ?? 'GET';
    const head: HttpRequestHead = { method, path: parsed.pathname, search: parsed.search, headers: req.headers, requestId, remoteAddress: req.socket.remoteAddress };
    const stream = options.streams?.find((route) => head.path === route.path || head.path.startsWith(`${route.path}/`));
    if (stream) {
      await stream.handle(req, res, head);
      return;
    }
    const declared = Number(headerValue(req.headers['content-length']) ?? 0);
    if (declared > maxBodyBytes) throw new PayloadTooLargeError(`request body exceeds ${maxBodyBytes} bytes`);

    const mount = options.graphql;
    if (mount && head.path === mount.path && (method === 'GET' || method === 'POST')) {
      let caller: TCaller;
      const refuse = (error: unknown) => {
        mount.onRefused?.(asRefusal(error).code);
        send(res, refusal(error, head));
      };
      try {
        caller = await mount.authenticate(head);
      } catch (error) {
        refuse(error);
        return;
      }
      const request: HttpRequest = { ...head, rawBody: await bodyOf(req, method, maxBodyBytes) };
      try {
        mount.admit?.(request, caller);
      } catch (error) {
        refuse(error);
        return;
      }
      await serveGraphQL(mount, request, caller, res);
      return;
    }
    const request: HttpRequest = { ...head, rawBody: await bodyOf(req, method, maxBodyBytes) };
    const route =
      routes.get(`${method} ${request.path}`) ??
      prefixRoutes.find((r) => r.method === method && request.path.startsWith(r.path.slice(0, -1)));
    if (!route) {
      send(res, json(404, { error: { code: 'HTTP.NOT_FOUND', message: `${method} ${request.path} not found` } }));
      return;
    }
    send(res, await route.handler(request));
  }

  // A client that sends its headers or body a byte at a time holds a socket: bounded well below Node's 60 s / 300 s.
  server.headersTimeout = options.headersTimeoutMs ?? 10_000;
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Every answer from now on closes its connection: Node would keep it alive, and the client's next
        // request would go down a connection about to be closed under it instead of to another replica.
        draining = true;
        for (const res of unanswered) if (!res.headersSent) res.shouldKeepAlive = false;
        unanswered.clear();
        // Idle connections close at once and the rest as soon as their request is answered; requests still
        // running after the drain time are cut, so shutdown ends within the process's own grace period.
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        const cut = setTimeout(() => server.closeAllConnections(), drainMs);
        server.close(() => {
          clearInterval(idle);
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

/**
 * A refusal before GraphQL runs, in the GraphQL-over-HTTP error shape. The body
 * may be unread, so the connection is not kept for another request.
 */
export function refusal(error: unknown, request: HttpRequestHead): HttpResponse {
  const { status, code, message, headers } = asRefusal(error);
  const accept = headerValue(request.headers.accept) ?? '';
  const type = accept.includes('application/graphql-response+json') ? 'application/graphql-response+json' : 'application/json';
  return {
    status,
    headers: {
      'content-type': `${type}; charset=utf-8`,
      connection: 'close',
      ...(status === 401 ? { 'www-authenticate': 'Bearer realm="tongban"' } : {}),
      ...headers,
    },
    body: JSON.stringify({ errors: [{ message, extensions: { code } }] }),
  };
}

/** A RequestRefusal, or a GraphQLError carrying its HTTP status; anything else is not a refusal but a fault. */
function asRefusal(error: unknown): RequestRefusal {
  if (error instanceof RequestRefusal) return error;
  if (error instanceof GraphQLError) {
    const status = Number((error.extensions.http as { status?: number } | undefined)?.status ?? 400);
    return new RequestRefusal(status, String(error.extensions.code ?? 'BAD_REQUEST'), error.message);
  }
  throw error;
}

function parseTarget(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'http://localhost');
  } catch {
    throw new MalformedPathError('the request target is not a URL path');
  }
}

function bodyOf(req: IncomingMessage, method: string, limit: number): Promise<Buffer> {
  return method === 'GET' || method === 'HEAD' ? Promise.resolve(Buffer.alloc(0)) : readBody(req, limit);
}

async function serveGraphQL<TContext extends BaseContext, TCaller>(
  mount: GraphQLMount<TContext, TCaller>,
  request: HttpRequest,
  caller: TCaller,
  res: ServerResponse,
): Promise<void> {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  let body: unknown = undefined;
  if (request.method === 'POST') {
    const text = request.rawBody.toString('utf8');
    if (headers.get('content-type')?.includes('application/json')) {
      // Nesting beyond any operation's variables would overflow the recursion of what reads them (JSON.stringify, coercion).
      if (jsonNestingExceeds(text, MAX_JSON_NESTING)) {
        send(res, json(400, { errors: [{ message: `request body nests deeper than ${MAX_JSON_NESTING} levels`, extensions: { code: 'INPUT.TOO_DEEP' } }] }));
        return;
      }
      try {
        body = text.length ? JSON.parse(text) : undefined;
      } catch {
        send(res, json(400, { errors: [{ message: 'request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] }));
        return;
      }
    } else {
      body = text;
    }
  }
  const execute = () =>
    mount.server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: request.method, headers, search: request.search, body },
      context: () => mount.context(request, caller),
    });
  const key = mount.shareKey?.(request, body);
  if (key !== undefined) {
    const shared = await share(mount as object, key, execute);
    for (const [name, value] of shared.headers) res.setHeader(name, value);
    res.statusCode = shared.status;
    res.end(shared.body);
    return;
  }
  const response = await execute();
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

const MAX_JSON_NESTING = 64;

/** Whether JSON text nests arrays and objects deeper than `limit`, by one pass over its characters. */
export function jsonNestingExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

const inflight = new WeakMap<object, Map<string, Promise<CompleteResponse>>>();

/**
 * The first request with a key executes; the ones arriving while it runs wait
 * for its answer, which is buffered so every waiter can send it whole.
 */
async function share(mount: object, key: string, execute: () => Promise<HTTPGraphQLResponse>): Promise<CompleteResponse> {
  let pending = inflight.get(mount);
  if (!pending) inflight.set(mount, (pending = new Map()));
  const running = pending.get(key);
  if (running) return running;
  const started = execute()
    .then(async (response) => {
      let text = '';
      if (response.body.kind === 'complete') text = response.body.string;
      else for await (const chunk of response.body.asyncIterator) text += chunk;
      return { status: response.status ?? 200, headers: [...response.headers], body: Buffer.from(text, 'utf8') };
    })
    .finally(() => pending!.delete(key));
  pending.set(key, started);
  return started;
}

function send(res: ServerResponse, response: HttpResponse): void {
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers ?? {})) res.setHeader(name, value);
  const body = response.body;
  if (!(body instanceof Readable)) {
    res.end(body);
    return;
  }
  // A source that fails half way cannot change the status already sent: the client sees the connection cut.
  body.once('error', () => res.destroy());
  res.once('close', () => body.destroy());
  body.pipe(res);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new PayloadTooLargeError(`request body exceeds ${limit} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
