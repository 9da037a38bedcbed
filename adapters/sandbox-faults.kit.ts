/**
 * Fault injection shared by the adapters' sandboxes: the draw that decides what becomes of a
 * request (from the runtime's seeded PRNG, so one seed replays one sequence of faults), and
 * the request pipeline that applies it — behind the `/__faults` control (sandbox-faults.route.ts), which
 * every sandbox serves first. What a sandbox answers to a fault (envelope, codes) is the
 * sandbox's own; `faultHandling` words the refusals the platforms word alike.
 *
 * Development and integration tests only; nothing in it is for production.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { serveFaultControl } from './sandbox-faults.route.js';
import { chanceOf, envelopeSender, readBody, type EnvelopeReply, type SandboxFaults, type SandboxRuntime } from './sandbox.kit.js';

export type FaultVerdict =
  | { kind: 'hang' }
  | { kind: 'rateLimited'; retryAfter: string }
  | { kind: 'error'; status: 500 | 503 }
  | { kind: 'answer'; truncate: boolean };

/**
 * Decides, after the latency, what becomes of one API request: hang (also once the sandbox
 * closed), 429, 500/503, or a normal answer — possibly truncated. Draws from `random` in a
 * fixed order (timeout, rate limit, error and its status, malformed) so one seed always
 * yields one sequence of faults; `timeoutLast` draws the timeout after the error instead,
 * the order 四川's sandbox has always replayed its seeds in.
 */
export async function drawFault(
  faults: SandboxFaults,
  ctx: { random: () => number; pause: (ms: number) => Promise<void>; isClosed: () => boolean; timeoutLast?: boolean },
): Promise<FaultVerdict> {
  const chance = chanceOf(ctx.random);
  if (faults.latencyMs) await ctx.pause(faults.latencyMs);
  if (ctx.isClosed() || (!ctx.timeoutLast && chance(faults.timeoutRate))) return { kind: 'hang' };
  if (chance(faults.rateLimitRate)) return { kind: 'rateLimited', retryAfter: String(faults.retryAfterSeconds ?? 1) };
  if (chance(faults.errorRate)) return { kind: 'error', status: ctx.random() < 0.5 ? 500 : 503 };
  if (ctx.timeoutLast && chance(faults.timeoutRate)) return { kind: 'hang' };
  return { kind: 'answer', truncate: chance(faults.malformedRate) };
}

export interface ApiRequestContext<M extends { endpoint: string }, R> {
  /** The endpoint (and path parameters) a request is for; null for none. */
  match(method: string, pathname: string): M | null;
  /** Requests received per endpoint (or `METHOD /path` for unknown ones), faulted ones included. */
  count(counter: string): void;
  maxBodyBytes: number;
  /** Read once the body has arrived, so setFaults() during an upload applies to it. */
  faults(): SandboxFaults;
  random: () => number;
  pause: (ms: number) => Promise<void>;
  isClosed: () => boolean;
  send(res: ServerResponse, reply: R, truncate?: boolean): void;
  /** The sandbox's own answers (envelope, codes, wording) for each refusal and fault. */
  replies: {
    tooLarge(): R;
    notFound(): R;
    rateLimited(retryAfter: string): R;
    failure(status: 500 | 503): R;
  };
  route(req: IncomingMessage, url: URL, raw: Buffer, matched: M): R | Promise<R>;
}

/**
 * The request pipeline of a sandbox API: count it, read the body (413 beyond the limit),
 * 404 for an unknown endpoint, then the faults (see drawFault), then the route's answer —
 * truncated on a malformed fault.
 */
export async function serveApiRequest<M extends { endpoint: string }, R>(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ApiRequestContext<M, R>,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sandbox');
  const matched = ctx.match(req.method ?? '', url.pathname);
  ctx.count(matched?.endpoint ?? `${req.method} ${url.pathname}`);
  const raw = await readBody(req, ctx.maxBodyBytes);
  if (raw === null) return ctx.send(res, ctx.replies.tooLarge());
  if (!matched) return ctx.send(res, ctx.replies.notFound());

  const fault = await drawFault(ctx.faults(), ctx);
  if (fault.kind === 'hang') return;
  if (fault.kind === 'rateLimited') return ctx.send(res, ctx.replies.rateLimited(fault.retryAfter));
  if (fault.kind === 'error') return ctx.send(res, ctx.replies.failure(fault.status));
  const reply = ctx.route(req, url, raw, matched);
  ctx.send(res, reply instanceof Promise ? await reply : reply, fault.truncate);
}

/** What a sandbox answers to each refusal and injected fault, in its own envelope. */
export type FaultReplies<R> = ApiRequestContext<{ endpoint: string }, R>['replies'];

/** The body limit of a sandbox's API and its answers to refusals and faults. */
export interface FaultHandling<R> {
  maxBodyBytes: number;
  replies: FaultReplies<R>;
}

/**
 * The refusals as the envelope platforms word them alike — 413 with the limit, 404, 429
 * with Retry-After, 500 and 503 — each with the platform's own code.
 */
export function faultHandling<C, R>(
  fail: (status: number, code: C, message: string, headers?: Record<string, string>) => R,
  codes: { bodyTooLarge: C; notFound: C; rateLimited: C; systemError: C; systemBusy: C },
  wording: { maxBodyBytes: number; busy: string },
): FaultHandling<R> {
  const replies: FaultReplies<R> = {
    tooLarge: () => fail(413, codes.bodyTooLarge, `请求体超过 ${wording.maxBodyBytes} 字节`),
    notFound: () => fail(404, codes.notFound, '接口不存在'),
    rateLimited: (retryAfter) => fail(429, codes.rateLimited, '请求过于频繁', { 'retry-after': retryAfter }),
    failure: (status) => (status === 500 ? fail(500, codes.systemError, '系统内部错误') : fail(503, codes.systemBusy, wording.busy)),
  };
  return { maxBodyBytes: wording.maxBodyBytes, replies };
}

/**
 * The whole request handling of an envelope sandbox: the fault control first, then its API
 * through serveApiRequest; a route that throws is answered as the platform's 500.
 */
export function sandboxListener<M extends { endpoint: string }, R extends EnvelopeReply<unknown>>(
  rt: SandboxRuntime,
  api: FaultHandling<R> & Pick<ApiRequestContext<M, R>, 'match' | 'route'>,
): RequestListener {
  const send = envelopeSender(rt.isClosed);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (await serveFaultControl(req, res, rt)) return;
    await serveApiRequest(req, res, { ...rt, ...api, send });
  };
  return (req, res) => {
    handle(req, res).catch(() => send(res, api.replies.failure(500)));
  };
}

/** The body as JSON, or `refusal` when it is not JSON. */
export function parseJsonBody<R>(raw: Buffer, refusal: () => R): { json: unknown } | R {
  try {
    return { json: JSON.parse(raw.toString('utf8')) };
  } catch {
    return refusal();
  }
}
