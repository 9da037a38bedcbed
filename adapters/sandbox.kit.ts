/**
 * Scaffolding shared by the adapters' real-HTTP sandboxes: listening on a port with sockets
 * tracked so close() can destroy hung ones, waits that close() cuts short, nonce memory,
 * reading a request body with a size limit, sending JSON, the seeded PRNG and fault settings
 * of a sandbox's runtime (the faults themselves are drawn in sandbox-faults.kit.ts). What a
 * sandbox answers — its envelope, codes, status codes and messages — stays in the sandbox;
 * this module never decides a reply's content.
 *
 * Development and integration tests only; nothing in it is for production.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** mulberry32: tiny, fast and good enough to make fault injection reproducible from a seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** True with probability `rate` (never for an absent or non-positive rate, which draws nothing). */
export function chanceOf(random: () => number): (rate: number | undefined) => boolean {
  return (rate) => rate !== undefined && rate > 0 && random() < rate;
}

/** The whole body, or null when it is larger than maxBytes (the rest is read and dropped). */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > maxBytes ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Writes `body` as JSON with a content-length, or — when `truncate` — only its first half:
 * half of a JSON object is never valid JSON, the closing brace is always cut off.
 * Does nothing once the answer was started or the connection is gone.
 */
export function sendJsonReply(
  res: ServerResponse,
  reply: { status: number; body: unknown; headers?: Record<string, string> },
  truncate = false,
): void {
  if (res.headersSent || res.destroyed) return;
  const full = JSON.stringify(reply.body);
  const text = truncate ? full.slice(0, Math.floor(full.length / 2)) : full;
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...reply.headers,
  });
  res.end(text);
}

/** A platform's answer as a sandbox builds it: status, the platform's envelope, and headers such as Retry-After. */
export interface EnvelopeReply<E> {
  status: number;
  envelope: E;
  headers?: Record<string, string>;
}

export function envelopeReply<E>(status: number, envelope: E, headers?: Record<string, string>): EnvelopeReply<E> {
  return { status, envelope, ...(headers ? { headers } : {}) };
}

/** Sends a platform's reply (its envelope, status and headers) unless the sandbox is closing. */
export function envelopeSender(isClosed: () => boolean): (res: ServerResponse, reply: EnvelopeReply<unknown>, truncate?: boolean) => void {
  return (res, reply, truncate = false) => {
    if (isClosed()) return;
    sendJsonReply(res, { status: reply.status, body: reply.envelope, ...(reply.headers ? { headers: reply.headers } : {}) }, truncate);
  };
}

/**
 * Remembers each nonce until `ttlMs` after it was claimed; the entries are in claim order,
 * so expired ones are dropped from the front. `claim` is false for a nonce still remembered.
 */
export function createNonceMemory(ttlMs: number): { claim(nonce: string, at: number): boolean } {
  const seen = new Map<string, number>();
  return {
    claim(nonce, at) {
      for (const [old, expiresAt] of seen) {
        if (expiresAt > at) break;
        seen.delete(old);
      }
      if (seen.has(nonce)) return false;
      seen.set(nonce, at + ttlMs);
      return true;
    },
  };
}

/** Waits that close() cuts short, so nothing outlives the sandbox. */
export function createPauses(isClosed: () => boolean): { pause(ms: number): Promise<void>; cancelAll(): void } {
  const pauses = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  return {
    pause: (ms) =>
      new Promise<void>((resolve) => {
        if (isClosed()) return resolve();
        const entry = {
          timer: setTimeout(() => {
            pauses.delete(entry);
            resolve();
          }, ms),
          resolve,
        };
        entry.timer.unref();
        pauses.add(entry);
      }),
    cancelAll() {
      for (const entry of pauses) {
        clearTimeout(entry.timer);
        entry.resolve();
      }
      pauses.clear();
    },
  };
}

export interface ListeningServer {
  server: Server;
  port: number;
  url: string;
  /** Stops listening and destroys every open socket; resolves once the server has closed. */
  stop(): Promise<void>;
}

/** Listens on `port` (0: any free port) with every socket tracked, so stop() never waits for a hung one. */
export async function listen(handler: RequestListener, opts: { port?: number; host: string }): Promise<ListeningServer> {
  const sockets = new Set<Socket>();
  const server = createServer(handler);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://${opts.host}:${port}`,
    stop() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // Hung requests (timeout faults) and keep-alive connections would hold server.close() open forever.
      for (const socket of sockets) socket.destroy();
      return stopped;
    },
  };
}

/** The faults every sandbox can inject into its API answers. */
export interface SandboxFaults {
  /** Share of API requests answered 500 or 503. */
  errorRate?: number;
  /** Delay before every API answer. */
  latencyMs?: number;
  /** Share of API requests never answered (the connection stays open until the client gives up or close()). */
  timeoutRate?: number;
  /** Share of API requests processed normally but answered with truncated JSON. */
  malformedRate?: number;
  /** Share of API requests answered 429 with Retry-After. */
  rateLimitRate?: number;
  retryAfterSeconds?: number;
  /** Share of file uploads whose connection is destroyed once half of the body was read; nothing is stored. */
  dropMidFileRate?: number;
}

export interface SandboxRuntime {
  random: () => number;
  /** A wait that close() cuts short. */
  pause(ms: number): Promise<void>;
  isClosed(): boolean;
  /** Marks the sandbox closed and ends every pending pause at once. */
  close(): void;
  faults(): SandboxFaults;
  setFaults(faults: SandboxFaults): void;
  count(counter: string): void;
  requestCounts(): Record<string, number>;
  resetCounts(): void;
}

/** The state every sandbox keeps besides its records: PRNG, faults, request counts, open/closed. */
export function createSandboxRuntime(seed: number, faults: SandboxFaults | undefined): SandboxRuntime {
  const random = seededRandom(seed);
  let current: SandboxFaults = { ...faults };
  let counts: Record<string, number> = {};
  let closed = false;
  const pauses = createPauses(() => closed);
  return {
    random,
    pause: pauses.pause,
    isClosed: () => closed,
    close() {
      closed = true;
      pauses.cancelAll();
    },
    faults: () => current,
    setFaults(next) {
      current = { ...next };
    },
    count(counter) {
      counts[counter] = (counts[counter] ?? 0) + 1;
    },
    requestCounts: () => ({ ...counts }),
    resetCounts() {
      counts = {};
    },
  };
}

/**
 * What sets one run of a sandbox apart from every other: its start on the real
 * clock (milliseconds, base 36) and a random tag for runs started in the same
 * millisecond. Put before a counter, it makes ids that a restarted sandbox never
 * hands out again: a counter alone starts over, and a case of the new run would
 * be given the id tongban stored for a case of the old one.
 */
export function sandboxRunTag(): string {
  return `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`.toUpperCase();
}
