import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { Redis } from 'ioredis';
import type { TokenVerifier } from '../lib/auth/access-token.js';
import type { Caller } from '../lib/auth/caller.js';
import { DomainError } from '../domain/errors.js';
import { headerValue, json, type HttpRequest, type HttpResponse, type Route } from '../lib/http-server.js';
import type { Logger } from '../lib/logger.js';
import { createRegistry, GatewayMetrics, scrapedGauge } from '../lib/metrics.js';
import { JOB_STATES, overdueCases, type QueueAdmin } from '../queues/queue-admin.js';
import { QUEUES } from '../queues/queues.js';
import { BullBoardAdapter } from './bull-board.adapter.js';

export const BOARD_PATH = '/ops/queues';
export const OPS_COOKIE = 'ops_token';

/**
 * The gateway's metrics: its own traffic, plus the queue depth and overdue
 * cases read from Redis at each scrape.
 */
export function gatewayMetrics(options: { redis: Redis; queues: QueueAdmin; logger: Logger }): GatewayMetrics {
  const registry = createRegistry();
  scrapedGauge({
    registry,
    name: 'tongban_queue_jobs',
    help: 'Jobs in each BullMQ queue by state, read at scrape time',
    labelNames: ['queue', 'state'],
    logger: options.logger,
    read: async () =>
      (await options.queues.counts()).flatMap(({ queue, counts }) =>
        JOB_STATES.map((state): [{ queue: string; state: string }, number] => [{ queue, state }, counts[state]]),
      ),
  });
  scrapedGauge({
    registry,
    name: 'tongban_queue_workers',
    help: 'Workers connected to each BullMQ queue, read at scrape time: 0 while jobs wait means nothing is taking them',
    labelNames: ['queue'],
    logger: options.logger,
    read: async () => (await options.queues.workers()).map(({ queue, workers }): [{ queue: string }, number] => [{ queue }, workers]),
  });
  scrapedGauge({
    registry,
    name: 'tongban_alerts_scheduled',
    help: 'Deadline alerts on the timetable waiting for their time, by the queue their jobs go to when it comes, read at scrape time',
    labelNames: ['queue'],
    logger: options.logger,
    read: async () => [[{ queue: QUEUES.deadlineAlerts }, await options.queues.scheduledAlerts()]],
  });
  scrapedGauge({
    registry,
    name: 'tongban_cases_overdue',
    help: 'Cases past their promised deadline, by clock phase, read at scrape time',
    labelNames: ['clock'],
    logger: options.logger,
    read: async () => {
      const { running, paused } = await overdueCases(options.redis, new Date());
      return [
        [{ clock: 'running' }, running],
        [{ clock: 'paused' }, paused],
      ];
    },
  });
  return new GatewayMetrics(registry);
}

/**
 * The BullMQ dashboard at /ops/queues, for the OPS role only. A browser cannot
 * attach a bearer header to page loads, so `GET /ops/login?token=…` checks an
 * OPS token and keeps it in an HttpOnly, SameSite=Strict cookie scoped to /ops;
 * every dashboard request (page, assets and API) is checked again, by header or
 * cookie. SameSite=Strict plus JSON-only bodies keep other sites from driving
 * the dashboard's actions with that cookie.
 */
export function opsRoutes(options: { tokens: TokenVerifier; queues: QueueAdmin; production: boolean }): Route[] {
  const board = new BullBoardAdapter(BOARD_PATH);
  createBullBoard({
    queues: options.queues.all().map((queue) => new BullMQAdapter(queue)),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'tongban 队列', locale: { lng: 'zh-CN' } } },
  });

  const guarded = async (request: HttpRequest): Promise<HttpResponse> => {
    const cookie = readCookie(headerValue(request.headers.cookie), OPS_COOKIE);
    const authorization = headerValue(request.headers.authorization) ?? (cookie ? `Bearer ${cookie}` : undefined);
    const refused = await refuseUnlessOps(options.tokens, authorization);
    if (refused) return refused;
    // The board's actions read JSON only: another type (a form, text/plain) would run the action with its body dropped.
    const type = headerValue(request.headers['content-type']);
    const isJson = type ? /^application\/json\s*(;|$)/i.test(type) : request.rawBody.length === 0;
    if (request.method !== 'GET' && !isJson) {
      return json(415, { error: { code: 'HTTP.UNSUPPORTED_MEDIA_TYPE', message: 'ops actions take application/json bodies only' } });
    }
    return board.handle(request);
  };

  return [
    {
      method: 'GET',
      path: '/ops/login',
      handler: async (request) => {
        const token = new URLSearchParams(request.search).get('token') ?? '';
        const refused = await refuseUnlessOps(options.tokens, `Bearer ${token}`);
        if (refused) return refused;
        const cookie = [`${OPS_COOKIE}=${token}`, 'Path=/ops', 'HttpOnly', 'SameSite=Strict', ...(options.production ? ['Secure'] : [])];
        // The token was in the address bar: leave it at once, and tell no one where we came from.
        return {
          status: 303,
          headers: { location: `${BOARD_PATH}/`, 'set-cookie': cookie.join('; '), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
          body: '',
        };
      },
    },
    // bull-board resolves its assets against the base path, which must end in a slash.
    { method: 'GET', path: BOARD_PATH, handler: async () => ({ status: 308, headers: { location: `${BOARD_PATH}/` }, body: '' }) },
    ...(['GET', 'POST', 'PUT', 'PATCH'] as const).map((method): Route => ({ method, path: `${BOARD_PATH}/*`, handler: guarded })),
  ];
}

/**
 * /metrics on the API port in production: queue depths and overdue counts are
 * not for anyone who can reach the API, so Prometheus scrapes it with an OPS
 * token (or from GATEWAY_METRICS_PORT on an internal interface, unguarded).
 */
export function opsOnly(route: Route, tokens: TokenVerifier): Route {
  return {
    ...route,
    handler: async (request) => (await refuseUnlessOps(tokens, headerValue(request.headers.authorization))) ?? route.handler(request),
  };
}

async function refuseUnlessOps(tokens: TokenVerifier, authorization: string | undefined): Promise<HttpResponse | undefined> {
  let caller: Caller;
  try {
    caller = await tokens.verify(authorization);
  } catch (error) {
    const code = error instanceof DomainError ? error.code : 'AUTH.UNAUTHENTICATED';
    return json(
      401,
      { error: { code, message: `需要 OPS 令牌：请求头 Authorization: Bearer <令牌>，或先在浏览器打开 /ops/login?token=<令牌>` } },
      { 'www-authenticate': 'Bearer' },
    );
  }
  if (caller.role !== 'OPS') return json(403, { error: { code: 'AUTH.FORBIDDEN', message: '无权执行该操作' } });
  return undefined;
}

/** One cookie's value from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim() || undefined;
  }
  return undefined;
}
