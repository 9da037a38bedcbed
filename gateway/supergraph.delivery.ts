import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { SupergraphSdlHook } from '@apollo/gateway';
import { parse } from 'graphql';
import { DomainError } from '../domain/errors.js';
import type { Logger } from '../lib/logger.js';
import type { GatewayMetrics } from '../lib/metrics.js';

/** Where the supergraph comes from: a file path or an http(s) URL, read again every `pollMs` (0: never). */
export interface SupergraphDelivery {
  location: string;
  pollMs: number;
  /** Bound of one read of the location, and of each health check of a subgraph it newly names. */
  timeoutMs: number;
}

/** The supergraph as served: its text, the SHA-256 ops see, and each subgraph's name → the URL the gateway calls. */
export interface ServedSupergraph {
  sdl: string;
  hash: string;
  subgraphs: Record<string, string>;
}

/** The location could not be read: no file, a refused or failed HTTP exchange, a body past the bound. */
export class SupergraphUnavailableError extends DomainError {
  constructor(location: string, why: string, options?: { cause?: unknown }) {
    super('SUPERGRAPH.UNAVAILABLE', `supergraph at ${location} could not be read: ${why}`, options);
  }
}

/** The text is not a supergraph this gateway can serve: a syntax error, an invalid composition, a subgraph with no URL. */
export class SupergraphInvalidError extends DomainError {
  constructor(why: string, options?: { cause?: unknown }) {
    super('SUPERGRAPH.INVALID', `supergraph is invalid: ${why}`, options);
  }
}

/** A subgraph the new supergraph sends requests to, and the current one does not, does not answer its health check. */
export class SupergraphSubgraphDownError extends DomainError {
  constructor(failures: Record<string, string>) {
    super('SUPERGRAPH.SUBGRAPH_DOWN', `subgraphs the new supergraph routes to do not answer: ${Object.entries(failures).map(([name, why]) => `${name} ${why}`).join(', ')}`);
  }
}

/** A supergraph document of a few hundred subgraphs is a few MB; anything far past it is not one. */
const MAX_SUPERGRAPH_BYTES = 32 * 1024 * 1024;

interface FederationInternals {
  Supergraph: { build(sdl: string, options: { validateSupergraph: boolean }): { subgraphsMetadata(): { name: string; url: string }[]; apiSchema(): unknown } };
}
type QueryPlannerClass = new (supergraph: unknown) => unknown;

// The gateway's own copies, as in operation.cache.ts: a supergraph they accept is one the gateway accepts.
const gatewayRequire = createRequire(createRequire(import.meta.url).resolve('@apollo/gateway'));
const internals = gatewayRequire('@apollo/federation-internals') as FederationInternals;
const { QueryPlanner } = gatewayRequire('@apollo/query-planner') as { QueryPlanner: QueryPlannerClass };

export function supergraphHash(sdl: string): string {
  return createHash('sha256').update(sdl).digest('hex');
}

/**
 * What the gateway does with a supergraph on `update`, done first where a failure
 * changes nothing: parse, build and validate it as federation-internals does, build
 * its API schema and a query planner over it, and find a URL for every subgraph
 * (`routeOf`: the configured override, else the routing URL composed in).
 * Not `full`: only its subgraphs and their URLs, for a fixed supergraph the
 * gateway's load checks anyway (half a second less at every start of one).
 */
export function checkSupergraph(sdl: string, routeOf: (name: string, url: string | undefined) => string | undefined, options: { full: boolean } = { full: true }): ServedSupergraph {
  try {
    parse(sdl, { noLocation: true });
  } catch (error) {
    throw new SupergraphInvalidError((error as Error).message, { cause: error });
  }
  let subgraphs: { name: string; url: string }[];
  try {
    const supergraph = internals.Supergraph.build(sdl, { validateSupergraph: options.full });
    if (options.full) {
      supergraph.apiSchema();
      new QueryPlanner(supergraph);
    }
    subgraphs = supergraph.subgraphsMetadata();
  } catch (error) {
    throw new SupergraphInvalidError((error as Error).message, { cause: error });
  }
  if (subgraphs.length === 0) throw new SupergraphInvalidError('it names no subgraph');
  const routes: Record<string, string> = {};
  for (const { name, url } of subgraphs) {
    const target = routeOf(name, url || undefined);
    if (!target) throw new SupergraphInvalidError(`subgraph ${name} has no routing URL and none is configured`);
    routes[name] = target;
  }
  return { sdl, hash: supergraphHash(sdl), subgraphs: routes };
}

/** Each subgraph's `/health`, as /ready asks it: 'ok', or why not. */
export async function checkSubgraphs(subgraphs: Record<string, string>, timeoutMs: number): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(subgraphs).map(async ([name, url]) => {
      try {
        const response = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(timeoutMs) });
        await response.body?.cancel();
        return [name, response.ok ? 'ok' : `unhealthy (HTTP ${response.status})`] as const;
      } catch (error) {
        return [name, `unreachable (${(error as Error).name})`] as const;
      }
    }),
  );
  return Object.fromEntries(entries);
}

/** One read of the location; `settle` marks what was read as dealt with, so an unchanged location is not read in full again. */
type Read = { sdl: string; settle(): void } | 'unchanged';

interface Reader {
  read(): Promise<Read>;
  close(): void;
}

export function isUrlLocation(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

function fileReader(path: string): Reader {
  let settled: { mtimeMs: number; size: number } | undefined;
  return {
    async read() {
      try {
        const seen = await stat(path);
        if (settled && seen.mtimeMs === settled.mtimeMs && seen.size === settled.size) return 'unchanged';
        if (seen.size > MAX_SUPERGRAPH_BYTES) throw new SupergraphUnavailableError(path, `${seen.size} bytes, more than ${MAX_SUPERGRAPH_BYTES}`);
        const sdl = await readFile(path, 'utf8');
        return { sdl, settle: () => (settled = { mtimeMs: seen.mtimeMs, size: seen.size }) };
      } catch (error) {
        if (error instanceof SupergraphUnavailableError) throw error;
        throw new SupergraphUnavailableError(path, (error as Error).message, { cause: error });
      }
    },
    close() {},
  };
}

/** Asks with the last settled ETag, so an unchanged supergraph costs the server a 304. */
function urlReader(url: string, timeoutMs: number): Reader {
  const closing = new AbortController();
  let settledEtag: string | undefined;
  return {
    async read() {
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { accept: 'text/plain, application/graphql, */*', ...(settledEtag ? { 'if-none-match': settledEtag } : {}) },
          signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), closing.signal]),
          redirect: 'error',
        });
      } catch (error) {
        throw new SupergraphUnavailableError(url, (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (error as Error).message, { cause: error });
      }
      if (response.status === 304) {
        await response.body?.cancel();
        return 'unchanged';
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new SupergraphUnavailableError(url, `HTTP ${response.status}`);
      }
      const etag = response.headers.get('etag') ?? undefined;
      const sdl = await boundedText(response, url);
      return { sdl, settle: () => (settledEtag = etag) };
    },
    close: () => closing.abort(),
  };
}

async function boundedText(response: Response, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_SUPERGRAPH_BYTES) {
    await response.body?.cancel();
    throw new SupergraphUnavailableError(url, `${declared} bytes declared, more than ${MAX_SUPERGRAPH_BYTES}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const body = response.body?.getReader();
  try {
    for (let part = await body?.read(); part && !part.done; part = await body!.read()) {
      size += part.value.byteLength;
      if (size > MAX_SUPERGRAPH_BYTES) throw new SupergraphUnavailableError(url, `more than ${MAX_SUPERGRAPH_BYTES} bytes`);
      chunks.push(part.value);
    }
  } catch (error) {
    await body?.cancel().catch(() => undefined);
    if (error instanceof SupergraphUnavailableError) throw error;
    throw new SupergraphUnavailableError(url, `body cut off: ${(error as Error).message}`, { cause: error });
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface OpenedSupergraph {
  /** The supergraph the gateway starts with, already checked. */
  initial: ServedSupergraph;
  /** Apollo Gateway's `supergraphSdl`: serves `initial`, then polls and hands each accepted change to `update`. */
  hook: SupergraphSdlHook;
}

/**
 * Reads and checks the supergraph once, failing with the reason if it cannot be
 * served (the gateway does not start), and returns the hook that keeps it
 * current. A changed supergraph is checked before `update` sees it, and the
 * subgraphs it newly routes to must answer their health check; one refused is
 * logged as an error and the served one stays. An invalid text is refused once
 * (not read in full again until it changes); an unreadable location or a
 * subgraph down is asked again at the next poll.
 */
export async function openSupergraph(options: {
  source: SupergraphDelivery | { sdl: string };
  routeOf: (name: string, url: string | undefined) => string | undefined;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Told of the supergraph served: the first one at once, each next one as `update` has taken it. */
  onServed: (supergraph: ServedSupergraph) => void;
}): Promise<OpenedSupergraph> {
  const { source, routeOf, logger, metrics, onServed } = options;
  if ('sdl' in source) {
    const initial = checkSupergraph(source.sdl, routeOf, { full: false });
    onServed(initial);
    return { initial, hook: async () => ({ supergraphSdl: initial.sdl }) };
  }
  const reader = isUrlLocation(source.location) ? urlReader(source.location, source.timeoutMs) : fileReader(source.location);
  const first = await reader.read();
  if (first === 'unchanged') throw new SupergraphUnavailableError(source.location, 'answered 304 to a first read');
  const initial = checkSupergraph(first.sdl, routeOf);
  first.settle();
  onServed(initial);

  const hook: SupergraphSdlHook = async ({ update }) => {
    let served = initial;
    let refusedHash: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    let polling: Promise<void> = Promise.resolve();

    const poll = async () => {
      try {
        const read = await reader.read();
        if (read === 'unchanged') return;
        const hash = supergraphHash(read.sdl);
        if (hash === served.hash || hash === refusedHash) return read.settle();
        let next: ServedSupergraph;
        try {
          next = checkSupergraph(read.sdl, routeOf);
        } catch (error) {
          refusedHash = hash;
          read.settle();
          throw error;
        }
        const added = Object.fromEntries(Object.entries(next.subgraphs).filter(([name, url]) => served.subgraphs[name] !== url));
        const health = await checkSubgraphs(added, source.timeoutMs);
        const down = Object.fromEntries(Object.entries(health).filter(([, status]) => status !== 'ok'));
        if (Object.keys(down).length > 0) throw new SupergraphSubgraphDownError(down);
        if (stopped) return;
        update(next.sdl);
        read.settle();
        logger.info({ location: source.location, hash: next.hash, previous: served.hash }, 'supergraph updated');
        served = next;
        onServed(next);
        metrics.recordSupergraphUpdate('applied');
      } catch (error) {
        metrics.recordSupergraphUpdate('refused');
        logger.error(
          { err: error, code: (error as DomainError).code, location: source.location, served: served.hash },
          'new supergraph refused; the served one stays',
        );
      }
    };
    const schedule = () => {
      if (stopped || source.pollMs === 0) return;
      timer = setTimeout(() => {
        polling = poll().finally(schedule);
      }, source.pollMs);
      timer.unref();
    };
    schedule();
    return {
      supergraphSdl: initial.sdl,
      cleanup: async () => {
        stopped = true;
        clearTimeout(timer);
        reader.close();
        await polling;
      },
    };
  };
  return { initial, hook };
}
