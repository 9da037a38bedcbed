import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { Redis } from 'ioredis';
import { GATEWAY_SIGNATURE_HEADER, signGatewayRequest, type GatewayKey } from '../lib/auth/gateway-signature.js';
import { clientAddress } from '../lib/client-address.js';
import { headerValue, json, type HttpRequest, type HttpResponse, type Route } from '../lib/http-server.js';
import { RateLimiter } from '../lib/rate-limit.js';

/** What the pages set for themselves (the verify page's CSP) and keep on the way through. */
const PASSED_HEADERS = ['content-security-policy', 'x-content-type-options', 'vary', 'content-disposition', 'content-length'];
/** A scan of 50 MB on a slow link takes minutes; the subgraph timeout is for pages. */
const FILE_TIMEOUT_MS = 10 * 60_000;
const PAGE_HEADERS = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };

export interface CasesPageOptions {
  /** Subgraph name → URL, as the gateway resolved them. */
  subgraphs: Record<string, string>;
  signingKey: GatewayKey;
  timeoutMs: number;
  redis: Redis;
  verifyPerMinute: number;
  trustedProxyHops: number;
}

/**
 * The pages the cases subgraph serves, through the one gateway origin:
 * printable notices and reports (the caller's token, or a signed link, checked
 * there), a case's files (a signed link), and the public 电子证照 check. That one takes no token, so it is
 * budgeted per client address, here: only the gateway sees the address (the
 * subgraph sees the gateway), and only the gateway may call the subgraph's
 * route, so no one goes around the budget; Redis shares it across replicas.
 */
export function casesPageRoutes(options: CasesPageOptions): Route[] {
  const limiter = new RateLimiter(options.redis, options.verifyPerMinute, 'verify');
  const toCases = async (request: HttpRequest): Promise<HttpResponse> => {
    const cases = options.subgraphs.cases;
    if (!cases) return json(503, { error: { code: 'SUBGRAPH.UNAVAILABLE', message: 'cases subgraph not configured' } });
    try {
      const authorization = headerValue(request.headers.authorization);
      const accept = headerValue(request.headers.accept);
      // The query string carries a notice link (Notice.printUrl) for a browser, which has no token to send.
      const target = `${request.path}${request.search}`;
      const signature = signGatewayRequest(options.signingKey, { method: 'GET', target, body: '', authorization });
      const upstream = await fetch(new URL(target, cases), {
        headers: {
          'x-request-id': request.requestId,
          [GATEWAY_SIGNATURE_HEADER]: signature,
          ...(authorization ? { authorization } : {}),
          ...(accept ? { accept } : {}),
        },
        signal: AbortSignal.timeout(request.path.startsWith('/files/') ? FILE_TIMEOUT_MS : options.timeoutMs),
      });
      const passed = Object.fromEntries(PASSED_HEADERS.flatMap((name) => (upstream.headers.has(name) ? [[name, upstream.headers.get(name)!]] : [])));
      return {
        status: upstream.status,
        headers: { 'content-type': upstream.headers.get('content-type') ?? 'text/html; charset=utf-8', ...passed, ...PAGE_HEADERS },
        // Streamed: a file goes through as it is read, never held whole.
        body: upstream.body ? Readable.fromWeb(upstream.body as NodeReadableStream) : '',
      };
    } catch {
      return json(503, { error: { code: 'SUBGRAPH.UNAVAILABLE', message: 'subgraph "cases" is unavailable' } });
    }
  };

  const verify: Route = {
    method: 'GET',
    path: '/verify/*',
    handler: async (request) => {
      const withinBudget = await limiter.consume(clientAddress(request, options.trustedProxyHops)).catch(() => null);
      // Without the shared budget nothing is answered: a Redis outage must not lift the limit.
      if (withinBudget === null) return json(503, { error: { code: 'REDIS.NOT_AVAILABLE', message: '系统暂时无法核验，请稍后再试' } }, PAGE_HEADERS);
      if (!withinBudget) {
        return json(429, { error: { code: 'LIMIT.RATE', message: '核验过于频繁，请稍后再试' } }, { ...PAGE_HEADERS, 'retry-after': String(limiter.retryAfterSeconds()) });
      }
      return toCases(request);
    },
  };

  return [...['/notices/*', '/reports/*', '/files/*'].map((path): Route => ({ method: 'GET', path, handler: toCases })), verify];
}
