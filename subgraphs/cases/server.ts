import DataLoader from 'dataloader';
import type { Redis } from 'ioredis';
import type { WorkingCalendar } from '../../domain/calendar/index.js';
import type { Region } from '../../domain/region.js';
import { DomainError } from '../../domain/errors.js';
import type { TokenVerifier } from '../../lib/auth/access-token.js';
import { headerValue, json, type HttpRequest, type HttpResponse, type Route, type RunningServer } from '../../lib/http-server.js';
import { assertMayReveal } from '../../lib/case-access.policy.js';
import { ForbiddenError } from '../../lib/auth/caller.js';
import { recordNoticePrint } from './personal-data.audit.js';
import type { Caller } from '../../lib/auth/caller.js';
import { startSubgraph, type SubgraphDefinition, type SubgraphRuntime } from '../../lib/subgraph-server.js';
import type { CatalogCache, CatalogReader } from '../platform/catalog.cache.js';
import { createPlatformLoaders, type PlatformLoaders } from '../platform/platform.source.js';
import type { WindowRecord } from '../../ledger/windows/window.model.js';
import type { CaseWorkflow } from '../../ledger/workflow/case-workflow.service.js';
import { createCaseWorkflow, type LedgerDeps } from '../../ledger/ledger.js';
import type { CaseEvent, CaseRecord } from '../../ledger/cases/case.model.js';
import type { CaseStore } from '../../ledger/cases/case.store.js';
import { AlertStore } from '../../ledger/alerts/alert.store.js';
import { renderNotice } from './case.view.js';
import { pickupNoticeResolvers } from './pickup-notice.resolvers.js';
import { hasPickupNotice, PICKUP_NOTICE_ID, renderPickup } from './pickup-notice.view.js';
import { resolvers } from './resolvers.js';
import { noticeLinks, type NoticeLinks } from './notice-link.signer.js';
import { QueueAdmin } from '../../queues/queue-admin.js';
import { opsResolvers } from './ops.resolvers.js';
import { weeklyReportPage } from './weekly-report.page.js';
import { CertificateStore } from '../../ledger/certificates/certificate.store.js';
import { verifyRoute } from './verify.page.js';
import { fileDownloadRoute } from './file-download.route.js';

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
  /** Signs Notice.printUrl and the files' download links. */
  noticeLinks: NoticeLinks;
  /** Where the public verify page is, for Certificate.verifyUrl. */
  verifyBaseUrl: string;
}

const UNAUTHENTICATED_NOTICE = '未登录或登录已失效：请求头 Authorization: Bearer <令牌>；浏览器请打开 Notice.printUrl 给出的链接（5 分钟内有效）';

/** How a caller appears in event streams and audit entries. */
function actorOf(caller: Caller): string {
  return `${caller.role}:${caller.subject}`;
}

export interface CasesSubgraphDeps extends LedgerDeps {
  tokens: TokenVerifier;
  queues: QueueAdmin;
  catalogs: Record<Region, CatalogCache>;
  noticeLinks: NoticeLinks;
}

export function casesSubgraph(deps: CasesSubgraphDeps): SubgraphDefinition<CasesContext> {
  const { store, directory, calendar, now, workflow } = createCaseWorkflow(deps);
  const alerts = new AlertStore(deps.redis);

  const authenticate = async (request: HttpRequest): Promise<Caller | HttpResponse> => {
    try {
      return await deps.tokens.verify(headerValue(request.headers.authorization));
    } catch (error) {
      const code = error instanceof DomainError ? error.code : 'AUTH.UNAUTHENTICATED';
      return json(401, { error: { code, message: '未登录或登录已失效' } });
    }
  };

  // The 窗口工作周报 as a printable page: /reports/weekly/<region>/<any day of the week>, for the region's supervisors.
  const weeklyReport: Route = {
    method: 'GET',
    path: '/reports/weekly/*',
    handler: async (request): Promise<HttpResponse> => {
      const caller = await authenticate(request);
      if (!('role' in caller)) return caller;
      const [region, date] = request.path.split('/').slice(3).map(decodeURIComponent);
      if ((region !== 'CHONGQING' && region !== 'SICHUAN') || !date) {
        return json(404, { error: { code: 'REPORT.NOT_FOUND', message: '周报地址应为 /reports/weekly/<CHONGQING|SICHUAN>/<YYYY-MM-DD>' } });
      }
      if (caller.role !== 'SUPERVISOR' || caller.region !== region) {
        return json(403, { error: { code: 'AUTH.FORBIDDEN', message: '周报仅供本地区督查人员查看' } });
      }
      try {
        const body = await weeklyReportPage({ store, calendar, now: now() }, region, date);
        return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, body };
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        return json(400, { error: { code: error.code, message: error.message } });
      }
    },
  };

  const notices: Route = {
    method: 'GET',
    path: '/notices/*',
    handler: async (request): Promise<HttpResponse> => {
      const [businessNo, noticeId] = request.path.split('/').slice(2).map(decodeURIComponent);
      // A bearer token (window consoles, scripts), else a link from Notice.printUrl (a browser), whose issue checked the caller.
      const authorization = headerValue(request.headers.authorization);
      let actor: string | null;
      let caller: Caller | null = null;
      if (authorization || !request.search) {
        try {
          caller = await deps.tokens.verify(authorization);
        } catch (error) {
          const code = error instanceof DomainError ? error.code : 'AUTH.UNAUTHENTICATED';
          return json(401, { error: { code, message: UNAUTHENTICATED_NOTICE } });
        }
        actor = actorOf(caller);
      } else {
        actor = deps.noticeLinks.verify(request.path, request.search, now());
        if (!actor) return json(401, { error: { code: 'AUTH.NOTICE_LINK_INVALID', message: '打印链接无效或已过期，请重新获取（Notice.printUrl）' } });
      }
      const record = businessNo ? await store.get(businessNo) : null;
      const notice = record?.notices.find((n) => n.id === noticeId);
      const pickup = noticeId === PICKUP_NOTICE_ID && !!record && hasPickupNotice(record);
      if (!record || !(notice || pickup)) return json(404, { error: { code: 'NOTICE.NOT_FOUND', message: '通知书不存在' } });
      // A notice carries the applicant's name and phone: only those who handle the case print it, and each print is recorded.
      if (caller) {
        try {
          assertMayReveal(caller, record);
        } catch (error) {
          if (!(error instanceof ForbiddenError)) throw error;
          return json(403, { error: { code: error.code, message: error.message } });
        }
      }
      await recordNoticePrint(store, { businessNo: record.businessNo, actor, at: now(), noticeId: notice?.id ?? PICKUP_NOTICE_ID });
      const [receiving, jurisdiction] = await directory.getMany([record.receivingWindowId, record.jurisdictionWindowId]);
      return {
        status: 200,
        headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
        body: notice
          ? renderNotice(record, notice, { receiving: receiving ?? null, jurisdiction: jurisdiction ?? null })
          : await renderPickup(record, receiving ?? null, deps.verifyBaseUrl, now()),
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
      Case: { ...resolvers.Case, pickupNotice: pickupNoticeResolvers.pickupNotice },
      PickupNotice: pickupNoticeResolvers.PickupNotice,
    },
    gatewayRoutes: [
      notices,
      weeklyReport,
      verifyRoute({ certificates: new CertificateStore(deps.redis), now }),
      fileDownloadRoute({ store, files: deps.fileStore, links: deps.noticeLinks, now }),
    ],
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
      noticeLinks: deps.noticeLinks,
      verifyBaseUrl: deps.verifyBaseUrl,
      };
    },
    healthCheck: async () => {
      await deps.redis.ping();
    },
  };
}

/** The subgraph owns the queue admin it opens, and closes it with the server. */
export async function startCasesSubgraph(deps: Omit<CasesSubgraphDeps, 'queues' | 'noticeLinks'> & SubgraphRuntime): Promise<RunningServer> {
  const queues = QueueAdmin.over(deps.redis);
  try {
    const server = await startSubgraph(casesSubgraph({ ...deps, queues, noticeLinks: noticeLinks(deps.gatewayKeys) }), deps);
    return { ...server, close: () => server.close().finally(() => queues.close()) };
  } catch (error) {
    await queues.close();
    throw error;
  }
}
