import { maskApplicant, maskContact } from '../../domain/masking.js';
import { regionOfItemCode, type Region } from '../../domain/region.js';
import type { HandedInMaterial } from '../../domain/workflow/formal-review.js';
import type { ClockStatus } from '../../domain/clock/index.js';
import { InputError, NotFoundError } from '../../domain/errors.js';
import { ForbiddenError } from '../../lib/auth/caller.js';
import { assertJurisdiction, assertMayReveal, assertReceivingWindow, assertSupervisorOf, canSeeCase } from '../../lib/case-access.policy.js';
import { connection, pageRequest } from '../../lib/paging.js';
import type { ReceiveApplicationInput } from '../../ledger/workflow/application-input.js';
import { materialsWithoutScan } from '../../ledger/workflow/scans.stage.js';
import { searchCatalog } from './catalog.source.js';
import { periodStatistics } from '../../ledger/cases/statistics.service.js';
import { weeklyReportPage } from './weekly-report.page.js';
import type { AlertRecord, AlertStatus } from '../../ledger/alerts/alert.store.js';
import type { CaseCertificate, CaseRecord, CaseStage, MaterialScan, NoticeRecord, ResultDelivery, TransferChannel } from '../../ledger/cases/case.model.js';
import { caseClock, caseDeadlines, noticePath, renderNotice } from './case.view.js';
import type { CasesContext } from './server.js';
import { PERSONAL_DATA_READ, personalDataReason, recordNoticePrint, recordPersonalDataRead, type PersonalDataPurpose } from './personal-data.audit.js';
import type { AdministrativeLevel, PowerTypeCategory } from '../../ledger/cases/case-statistics.js';
import { fileDownloadPath } from './file-download.route.js';
import { certificateStatus, publicHolderName, verifyUrl, type VerificationCode } from '../../domain/certificates/index.js';

/** A scan or certificate with the case it belongs to, for the fields that depend on who may see the case's files. */
type ScanView = MaterialScan & { record: CaseRecord };
type CertificateView = CaseCertificate & { record: CaseRecord };

/** A case's files show people's documents whole: only the staff of its two windows get a link to download one. */
function fileLink(ctx: CasesContext, record: CaseRecord, sha256: string): string | null {
  const { windowId } = ctx.caller;
  if (!windowId || (windowId !== record.receivingWindowId && windowId !== record.jurisdictionWindowId)) return null;
  return ctx.noticeLinks.sign(fileDownloadPath(record.businessNo, sha256), ctx.actor, ctx.now());
}

const ITEM_TYPE: Record<Region, string> = { CHONGQING: 'ChongqingServiceItem', SICHUAN: 'SichuanServiceItem' };
const PLATFORM_CASE_TYPE: Record<Region, string> = { CHONGQING: 'ChongqingPlatformCase', SICHUAN: 'SichuanPlatformCase' };

interface PageArgs {
  first?: number | null;
  after?: string | null;
}

interface CaseFilterArgs {
  windowId?: string | null;
  stage?: CaseStage | null;
  clockStatus?: ClockStatus | null;
  appliedFrom?: string | null;
  appliedTo?: string | null;
}

interface NoticeView extends NoticeRecord {
  record: CaseRecord;
}

function instant(value: string | null | undefined, field: string): number | undefined {
  if (value == null) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !/[zZ]|[+-]\d{2}:\d{2}$/.test(value)) {
    throw new InputError('INPUT.INVALID_INSTANT', `${field} must be an ISO-8601 instant with an offset`);
  }
  return ms;
}

function receiptResult(record: CaseRecord, noticeId: string): NoticeView {
  const notice = record.notices.find((n) => n.id === noticeId)!;
  return { ...notice, record };
}

export const resolvers = {
  Query: {
    workingDays: (_: unknown, args: { from: string; to: string }, ctx: CasesContext) =>
      ctx.calendar.workingDaysBetween(args.from, args.to),
    addWorkingDays: (_: unknown, args: { date: string; days: number }, ctx: CasesContext) =>
      ctx.calendar.addWorkingDays(args.date, args.days),
    isWorkingDay: (_: unknown, args: { date: string }, ctx: CasesContext) => ctx.calendar.isWorkingDay(args.date),
    calendarDay: (_: unknown, args: { date: string }, ctx: CasesContext) => {
      const day = ctx.calendar.dayKind(args.date);
      return { date: args.date, kind: day.kind, holiday: day.name, isWorkingDay: ctx.calendar.isWorkingDay(args.date) };
    },
    case: async (_: unknown, args: { businessNo: string }, ctx: CasesContext) => {
      const record = await ctx.cases.load(args.businessNo);
      if (record && !canSeeCase(ctx.caller, record)) throw new ForbiddenError();
      return record;
    },
    alerts: (_: unknown, args: { status?: AlertStatus | null; windowId?: string | null }, ctx: CasesContext) => {
      const { caller } = ctx;
      if (caller.role === 'OPS') return ctx.alerts.list({ status: args.status ?? undefined, windowId: args.windowId ?? undefined });
      if ((caller.role !== 'WINDOW_STAFF' && caller.role !== 'JURISDICTION_STAFF') || !caller.windowId) throw new ForbiddenError();
      if (args.windowId && args.windowId !== caller.windowId) throw new ForbiddenError();
      return ctx.alerts.list({ status: args.status ?? undefined, windowId: caller.windowId });
    },
    weeklyReport: async (_: unknown, args: { weekOf: string; region: Region }, ctx: CasesContext) => {
      const { caller } = ctx;
      if (caller.role !== 'OPS' && !(caller.role === 'SUPERVISOR' && caller.region === args.region)) throw new ForbiddenError();
      return weeklyReportPage({ store: ctx.store, calendar: ctx.calendar, now: ctx.now() }, args.region, args.weekOf);
    },
    statistics: (
      _: unknown,
      args: {
        period: { from: string; to: string };
        region?: Region | null;
        department?: string | null;
        itemCode?: string | null;
        powerType?: PowerTypeCategory | null;
        level?: AdministrativeLevel | null;
      },
      ctx: CasesContext,
    ) => {
      const { caller } = ctx;
      if (caller.role !== 'SUPERVISOR' && caller.role !== 'OPS') throw new ForbiddenError();
      const region = args.region ?? (caller.role === 'SUPERVISOR' ? caller.region : undefined);
      if (caller.role === 'SUPERVISOR' && region !== caller.region) throw new ForbiddenError();
      return periodStatistics(
        ctx.store,
        {
          ...args.period,
          region,
          department: args.department ?? undefined,
          itemCode: args.itemCode ?? undefined,
          powerType: args.powerType ?? undefined,
          level: args.level ?? undefined,
        },
        ctx.now(),
      );
    },
    auditLog: async (_: unknown, args: { businessNo: string }, ctx: CasesContext) => {
      assertSupervisorOf(ctx.caller, await visibleCase(ctx, args.businessNo));
      const events = await ctx.timelines.load(args.businessNo);
      return events
        .filter((event) => event.type === PERSONAL_DATA_READ)
        .map((event) => ({ at: event.at, actor: event.actor, fields: event.data.fields, purpose: event.data.purpose, note: event.data.note }));
    },
    cases: async (_: unknown, args: PageArgs & { filter?: CaseFilterArgs | null }, ctx: CasesContext) => {
      const page = pageRequest(args.first, args.after);
      const filter = args.filter ?? {};
      const scope = await listScope(ctx, filter.windowId ?? undefined);
      const result = await ctx.store.list(
        {
          ...scope,
          stage: filter.stage ?? undefined,
          appliedFrom: instant(filter.appliedFrom, 'appliedFrom'),
          appliedTo: instant(filter.appliedTo, 'appliedTo'),
          clockStatus: filter.clockStatus ?? undefined,
        },
        page.offset,
        page.limit,
        ctx.now(),
      );
      return connection(result.cases, result.total, page);
    },
    serviceItem: async (_: unknown, args: { code: string }, ctx: CasesContext) => {
      const item = await ctx.platformLoaders[regionOfItemCode(args.code)].items.load(args.code);
      return item && { code: item.code };
    },
    serviceItems: async (_: unknown, args: PageArgs & { region?: Region; search?: string }, ctx: CasesContext) => {
      const page = pageRequest(args.first, args.after);
      const result = await searchCatalog(ctx.catalogs, { region: args.region, search: args.search }, page);
      return connection(
        result.items.map((item) => ({ code: item.code })),
        result.total,
        page,
      );
    },
  },
  Mutation: {
    receiveApplication: async (_: unknown, args: { input: ReceiveApplicationInput }, ctx: CasesContext) => {
      if (ctx.caller.role !== 'WINDOW_STAFF' || ctx.caller.windowId !== args.input.windowId) throw new ForbiddenError();
      const { record, noticeId } = await ctx.workflow.receiveApplication(args.input, ctx.actor);
      return receiptResult(record, noticeId);
    },
    resubmitCorrections: async (_: unknown, args: { businessNo: string; materials: HandedInMaterial[] }, ctx: CasesContext) => {
      assertReceivingWindow(ctx.caller, await visibleCase(ctx, args.businessNo));
      const { record, noticeId } = await ctx.workflow.resubmitCorrections(args.businessNo, args.materials, ctx.actor);
      return receiptResult(record, noticeId);
    },
    attachMaterialFile: async (_: unknown, args: { businessNo: string; material: string; uploadId: string }, ctx: CasesContext) => {
      assertReceivingWindow(ctx.caller, await visibleCase(ctx, args.businessNo));
      return ctx.workflow.attachMaterialFile(args.businessNo, args.material, args.uploadId, ctx.actor);
    },
    removeMaterialFile: async (_: unknown, args: { businessNo: string; material: string; sha256: string }, ctx: CasesContext) => {
      assertReceivingWindow(ctx.caller, await visibleCase(ctx, args.businessNo));
      return ctx.workflow.removeMaterialFile(args.businessNo, args.material, args.sha256, ctx.actor);
    },
    dispatchMaterials: async (_: unknown, args: { businessNo: string; channel: TransferChannel }, ctx: CasesContext) => {
      assertReceivingWindow(ctx.caller, await visibleCase(ctx, args.businessNo));
      return ctx.workflow.dispatchMaterials(args.businessNo, args.channel, ctx.actor);
    },
    confirmMaterialsReceived: async (_: unknown, args: { businessNo: string }, ctx: CasesContext) => {
      assertJurisdiction(ctx.caller, await visibleCase(ctx, args.businessNo));
      return ctx.workflow.confirmMaterialsReceived(args.businessNo, ctx.actor);
    },
    recordResultDispatched: async (
      _: unknown,
      args: { businessNo: string; delivery: { method: ResultDelivery; waybillNo?: string | null } },
      ctx: CasesContext,
    ) => {
      assertJurisdiction(ctx.caller, await visibleCase(ctx, args.businessNo));
      return ctx.workflow.recordResultDispatched(args.businessNo, args.delivery, ctx.actor);
    },
    recordReceivingWindowFeedback: async (_: unknown, args: { businessNo: string }, ctx: CasesContext) => {
      assertJurisdiction(ctx.caller, await visibleCase(ctx, args.businessNo));
      return ctx.workflow.recordReceivingWindowFeedback(args.businessNo, ctx.actor);
    },
    recordResultAtWindow: async (_: unknown, args: { businessNo: string }, ctx: CasesContext) => {
      assertReceivingWindow(ctx.caller, await visibleCase(ctx, args.businessNo));
      return ctx.workflow.recordResultAtWindow(args.businessNo, ctx.actor);
    },
    notifyApplicantForPickup: async (_: unknown, args: { businessNo: string }, ctx: CasesContext) => {
      assertReceivingWindow(ctx.caller, await visibleCase(ctx, args.businessNo));
      return ctx.workflow.notifyApplicantForPickup(args.businessNo, ctx.actor);
    },
    recordDelivered: async (_: unknown, args: { businessNo: string }, ctx: CasesContext) => {
      assertReceivingWindow(ctx.caller, await visibleCase(ctx, args.businessNo));
      return ctx.workflow.recordDelivered(args.businessNo, ctx.actor);
    },
    acknowledgeAlert: async (_: unknown, args: { id: string }, ctx: CasesContext) => {
      const alert = await ctx.alerts.get(args.id);
      if (!alert) throw new NotFoundError('ALERT.NOT_FOUND', `告警 ${args.id} 不存在`);
      const { caller } = ctx;
      if (caller.role !== 'OPS' && !(caller.windowId && alert.windowIds.includes(caller.windowId))) throw new ForbiddenError();
      return ctx.alerts.acknowledge(args.id, ctx.actor, ctx.now().toISOString());
    },
    evaluate: async (_: unknown, args: { businessNo: string; score: number; comment?: string | null }, ctx: CasesContext) => {
      assertReceivingWindow(ctx.caller, await visibleCase(ctx, args.businessNo));
      const record = await ctx.workflow.evaluate(args.businessNo, args.score, args.comment, ctx.actor);
      return { businessNo: record.businessNo, ...record.evaluation! };
    },
  },
  ResultRecord: {
    certificate: (result: { record: CaseRecord }) => result.record.certificate && { ...result.record.certificate, record: result.record },
  },
  Certificate: {
    holder: (cert: CertificateView) => publicHolderName({ holderName: cert.holderName, holderIdNumber: cert.record.applicant.idNumber }),
    verifyUrl: (cert: CertificateView, _: unknown, ctx: CasesContext) => verifyUrl(ctx.verifyBaseUrl, cert.verificationCode as VerificationCode),
    status: (cert: CertificateView, _: unknown, ctx: CasesContext) => certificateStatus(cert, ctx.now()),
    url: (cert: CertificateView, _: unknown, ctx: CasesContext) => fileLink(ctx, cert.record, cert.sha256),
  },
  MaterialScan: {
    // A scan shows a person's documents whole: only the two windows that handle the case download it.
    downloadUrl: (scan: ScanView, _: unknown, ctx: CasesContext) => fileLink(ctx, scan.record, scan.sha256),
  },
  Notice: {
    __resolveType: (notice: NoticeView) => (notice.kind === 'RECEIPT' ? 'ReceiptNotice' : 'DeficiencyNotice'),
  },
  ReceiptNotice: noticeFields(),
  DeficiencyNotice: {
    ...noticeFields(),
    correctionDeadline: (notice: NoticeView) => notice.record.correction!.deadline,
    deficiencies: (notice: NoticeView) => notice.materials.filter((m) => m.verdict !== 'QUALIFIED'),
  },
  ServiceItem: {
    __resolveType: (ref: { code: string }) => ITEM_TYPE[regionOfItemCode(ref.code)],
    __resolveReference: (ref: { code: string }) => ({ code: ref.code }),
  },
  PlatformCase: {
    __resolveType: (ref: { region: Region }) => PLATFORM_CASE_TYPE[ref.region],
  },
  Alert: {
    case: async (alert: AlertRecord, _: unknown, ctx: CasesContext) => {
      const record = await ctx.cases.load(alert.businessNo);
      return record && canSeeCase(ctx.caller, record) ? record : null;
    },
  },
  Case: {
    __resolveReference: async (ref: { businessNo: string }, ctx: CasesContext) => {
      const record = await ctx.cases.load(ref.businessNo);
      return record && canSeeCase(ctx.caller, record) ? record : null;
    },
    item: (kase: CaseRecord) => ({ code: kase.itemCode }),
    itemName: (kase: CaseRecord) => kase.item.name,
    result: (kase: CaseRecord) => kase.result && { ...kase.result, record: kase },
    scans: (kase: CaseRecord) => (kase.scans ?? []).map((scan): ScanView => ({ ...scan, record: kase })),
    materialsWithoutScan: (kase: CaseRecord) => materialsWithoutScan(kase),
    receivingWindow: (kase: CaseRecord) => ({ id: kase.receivingWindowId }),
    jurisdictionWindow: (kase: CaseRecord) => ({ id: kase.jurisdictionWindowId }),
    applicant: (kase: CaseRecord) => maskApplicant(kase.applicant),
    personalData: async (kase: CaseRecord, args: { reason: { purpose: PersonalDataPurpose; note?: string | null } }, ctx: CasesContext) => {
      assertMayReveal(ctx.caller, kase);
      const reason = personalDataReason(args.reason);
      const fields = ['applicant.name', 'applicant.idNumber', 'contact.name', 'contact.phone', 'delivery.address'];
      await recordPersonalDataRead(ctx.store, { businessNo: kase.businessNo, actor: ctx.actor, at: ctx.now().toISOString(), fields, reason });
      const address = kase.delivery.address;
      return {
        applicantName: kase.applicant.name,
        idNumber: kase.applicant.idNumber,
        contactName: kase.contact.name,
        contactPhone: kase.contact.phone,
        mailingAddress: address ? `${address.address} ${address.recipient} ${address.phone} ${address.postcode}` : null,
      };
    },
    contact: (kase: CaseRecord) => maskContact(kase.contact),
    delivery: (kase: CaseRecord) => kase.delivery.method,
    clock: (kase: CaseRecord, _: unknown, ctx: CasesContext) => caseClock(kase, ctx.now(), ctx.calendar),
    deadlines: (kase: CaseRecord, _: unknown, ctx: CasesContext) => caseDeadlines(kase, ctx.now()),
    notices: (kase: CaseRecord) => kase.notices.map((notice) => ({ ...notice, record: kase })),
    platformRecord: (kase: CaseRecord) =>
      kase.platformCaseId ? { id: kase.platformCaseId, businessNo: kase.businessNo, region: kase.jurisdictionRegion } : null,
    evaluation: (kase: CaseRecord) => kase.evaluation && { businessNo: kase.businessNo, ...kase.evaluation },
    timeline: async (kase: CaseRecord, _: unknown, ctx: CasesContext) =>
      (await ctx.timelines.load(kase.businessNo)).map((event) => ({ ...event, data: JSON.stringify(event.data) })),
  },
};

async function visibleCase(ctx: CasesContext, businessNo: string): Promise<CaseRecord> {
  const record = await ctx.cases.load(businessNo);
  if (!record) throw new NotFoundError('CASE.NOT_FOUND', `办件 ${businessNo} 不存在`);
  if (!canSeeCase(ctx.caller, record)) throw new ForbiddenError();
  return record;
}

/** Which cases a caller may list: staff their window's, supervisors their region's. */
async function listScope(ctx: CasesContext, windowId: string | undefined): Promise<{ windowId?: string; region?: Region }> {
  const { caller } = ctx;
  if (caller.role === 'WINDOW_STAFF' || caller.role === 'JURISDICTION_STAFF') {
    if (!caller.windowId || (windowId && windowId !== caller.windowId)) throw new ForbiddenError();
    return { windowId: caller.windowId };
  }
  if (caller.role === 'SUPERVISOR') {
    if (!windowId) return { region: caller.region };
    const window = await ctx.windows.load(windowId);
    if (!window || window.region !== caller.region) throw new ForbiddenError();
    return { windowId };
  }
  throw new ForbiddenError();
}

function noticeFields() {
  return {
    businessNo: (notice: NoticeView) => notice.record.businessNo,
    url: (notice: NoticeView) => noticePath(notice.record.businessNo, notice.id),
    case: (notice: NoticeView) => notice.record,
    printUrl: (notice: NoticeView, _: unknown, ctx: CasesContext) => {
      assertMayReveal(ctx.caller, notice.record);
      return ctx.noticeLinks.sign(noticePath(notice.record.businessNo, notice.id), ctx.actor, ctx.now());
    },
    // A notice prints the applicant unmasked: the same rule and the same audit as the /notices route.
    html: async (notice: NoticeView, _: unknown, ctx: CasesContext) => {
      assertMayReveal(ctx.caller, notice.record);
      await recordNoticePrint(ctx.store, { businessNo: notice.record.businessNo, actor: ctx.actor, at: ctx.now(), noticeId: notice.id });
      const [receiving, jurisdiction] = await Promise.all([
        ctx.windows.load(notice.record.receivingWindowId),
        ctx.windows.load(notice.record.jurisdictionWindowId),
      ]);
      return renderNotice(notice.record, notice, { receiving, jurisdiction });
    },
  };
}
