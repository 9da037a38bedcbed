import DataLoader from 'dataloader';
import type { Redis } from 'ioredis';
import type { PlatformPort } from '../../adapters/platform.port.js';
import { getDefaultCalendar, type WorkingCalendar } from '../../domain/calendar/index.js';
import type { Region } from '../../domain/region.js';
import { DomainError } from '../../domain/errors.js';
import type { TokenVerifier } from '../../lib/auth/access-token.js';
import { headerValue, json, type HttpResponse, type Route, type RunningServer } from '../../lib/http-server.js';
import { assertMayReveal } from '../../lib/case-access.policy.js';
import { ForbiddenError } from '../../lib/auth/caller.js';
import { NOTICE_FIELDS, recordPersonalDataRead } from './personal-data.audit.js';
import type { Caller } from '../../lib/auth/caller.js';
import { startSubgraph, type SubgraphDefinition, type SubgraphRuntime } from '../../lib/subgraph-server.js';
import type { CatalogCache, CatalogReader } from '../platform/catalog.cache.js';
import { createPlatformLoaders, type PlatformLoaders } from '../platform/platform.source.js';
import type { WindowRecord } from '../windows/window.model.js';
import { WindowStore } from '../windows/window.store.js';
import { CaseWorkflow, type AlertScheduler, type NotificationOutbox, type OutsideTimeReport, type TransferQueue } from './case-workflow.service.js';
import type { CaseEvent, CaseRecord } from './case.model.js';
import { CaseStore } from './case.store.js';
import { AlertStore } from './alert.store.js';
import { renderNotice } from './case.view.js';
import { resolvers } from './resolvers.js';
import { QueueAdmin } from '../../jobs/queue-admin.js';
import { opsResolvers } from './ops.resolvers.js';

export interface CasesContext {
  store: CaseStore;
  alerts: AlertStore;
  workflow: CaseWorkflow;
  calendar: WorkingCalendar;
  now: () => Date;
  caller: Caller;
  /** How the caller appears in event streams and audit entries. */
  actor: string;
  /** Each platform's catalog as this request reads it. */
  catalogs: Record<Region, CatalogReader>;
  cases: DataLoader<string, CaseRecord | null>;
  timelines: DataLoader<string, CaseEvent[]>;
  windows: DataLoader<string, WindowRecord | null>;
  platformLoaders: Record<Region, PlatformLoaders>;
  /** For the OPS role's queue fields (ops.resolvers.ts). */
  queues: QueueAdmin;
  /** For the OPS role's catalog invalidation. */
  redis: Redis;
}

/** How a caller appears in event streams and audit entries. */
function actorOf(caller: Caller): string {
  return `${caller.role}:${caller.subject}`;
}

export interface CasesDeps {
  redis: Redis;
  platforms: Record<Region, PlatformPort>;
  transfers: TransferQueue;
  notifications: NotificationOutbox;
  alerts: AlertScheduler;
  /** Defaults to the official calendar with the shipped overrides. */
  calendar?: WorkingCalendar;
  now?: () => Date;
  onOutsideTime?: (report: OutsideTimeReport) => void;
}

/** The workflow over Redis, as the subgraph and the workers both use it. */
export function createCaseWorkflow(deps: CasesDeps) {
  const calendar = deps.calendar ?? getDefaultCalendar();
  const store = new CaseStore(deps.redis, calendar);
  const directory = new WindowStore(deps.redis);
  const now = deps.now ?? (() => new Date());
  const workflow = new CaseWorkflow({
    store,
    windows: directory,
    platforms: deps.platforms,
    calendar,
    transfers: deps.transfers,
    notifications: deps.notifications,
    alerts: deps.alerts,
    now,
    onOutsideTime: deps.onOutsideTime,
  });
  return { store, directory, calendar, now, workflow };
}

export interface CasesSubgraphDeps extends CasesDeps {
  tokens: TokenVerifier;
  queues: QueueAdmin;
  catalogs: Record<Region, CatalogCache>;
}

export function casesSubgraph(deps: CasesSubgraphDeps): SubgraphDefinition<CasesContext> {
  const { store, directory, calendar, now, workflow } = createCaseWorkflow(deps);
  const alerts = new AlertStore(deps.redis);

  const notices: Route = {
    method: 'GET',
    path: '/notices/*',
    handler: async (request): Promise<HttpResponse> => {
      let caller: Caller;
      try {
        caller = await deps.tokens.verify(headerValue(request.headers.authorization));
      } catch (error) {
        const code = error instanceof DomainError ? error.code : 'AUTH.UNAUTHENTICATED';
        return json(401, { error: { code, message: '未登录或登录已失效' } });
      }
      const [businessNo, noticeId] = request.path.split('/').slice(2).map(decodeURIComponent);
      const record = businessNo ? await store.get(businessNo) : null;
      const notice = record?.notices.find((n) => n.id === noticeId);
      if (!record || !notice) return json(404, { error: { code: 'NOTICE.NOT_FOUND', message: '通知书不存在' } });
      // A notice carries the applicant's name and phone: only those who handle the case print it, and each print is recorded.
      try {
        assertMayReveal(caller, record);
      } catch (error) {
        if (!(error instanceof ForbiddenError)) throw error;
        return json(403, { error: { code: error.code, message: error.message } });
      }
      await recordPersonalDataRead(store, {
        businessNo: record.businessNo,
        actor: actorOf(caller),
        at: now().toISOString(),
        fields: NOTICE_FIELDS,
        reason: { purpose: 'PRINT_NOTICE', note: notice.id },
      });
      const [receiving, jurisdiction] = await directory.getMany([record.receivingWindowId, record.jurisdictionWindowId]);
      return {
        status: 200,
        headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
        body: renderNotice(record, notice, { receiving: receiving ?? null, jurisdiction: jurisdiction ?? null }),
      };
    },
  };

  return {
    name: 'cases',
    schemaFile: new URL('./schema.graphql', import.meta.url),
    resolvers: {
      ...resolvers,
      ...opsResolvers,
      Query: { ...resolvers.Query, ...opsResolvers.Query },
      Mutation: { ...resolvers.Mutation, ...opsResolvers.Mutation },
    },
    gatewayRoutes: [notices],
    context: async (_request, caller) => {
      const catalogs = { CHONGQING: deps.catalogs.CHONGQING.reader(), SICHUAN: deps.catalogs.SICHUAN.reader() };
      return {
      store,
      alerts,
      workflow,
      calendar,
      now,
      caller,
      actor: actorOf(caller),
      catalogs,
      cases: new DataLoader((businessNos) => store.getMany(businessNos)),
      timelines: new DataLoader((businessNos) => Promise.all(businessNos.map((no) => store.events(no)))),
      windows: new DataLoader((ids) => directory.getMany(ids)),
      platformLoaders: {
        CHONGQING: createPlatformLoaders(deps.platforms.CHONGQING, catalogs.CHONGQING),
        SICHUAN: createPlatformLoaders(deps.platforms.SICHUAN, catalogs.SICHUAN),
      },
      queues: deps.queues,
      redis: deps.redis,
      };
    },
    healthCheck: async () => {
      await deps.redis.ping();
    },
  };
}

/** The subgraph owns the queue admin it opens, and closes it with the server. */
export async function startCasesSubgraph(deps: Omit<CasesSubgraphDeps, 'queues'> & SubgraphRuntime): Promise<RunningServer> {
  const queues = QueueAdmin.over(deps.redis);
  try {
    const server = await startSubgraph(casesSubgraph({ ...deps, queues }), deps);
    return { ...server, close: () => server.close().finally(() => queues.close()) };
  } catch (error) {
    await queues.close();
    throw error;
  }
}
