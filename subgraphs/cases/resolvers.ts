import { maskIdNumber, maskPhone } from '../../domain/masking.js';
import { regionOfItemCode, type Region } from '../../domain/region.js';
import { connection, pageRequest } from '../../lib/paging.js';
import { searchCatalog } from './catalog.source.js';
import type { CaseRecord } from './case.model.js';
import type { CasesContext } from './server.js';

const ITEM_TYPE: Record<Region, string> = { CHONGQING: 'ChongqingServiceItem', SICHUAN: 'SichuanServiceItem' };
const PLATFORM_CASE_TYPE: Record<Region, string> = { CHONGQING: 'ChongqingPlatformCase', SICHUAN: 'SichuanPlatformCase' };

interface PageArgs {
  first?: number | null;
  after?: string | null;
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
    case: (_: unknown, args: { businessNo: string }, ctx: CasesContext) => ctx.cases.load(args.businessNo),
    cases: async (_: unknown, args: PageArgs & { filter?: { windowId?: string } }, ctx: CasesContext) => {
      const page = pageRequest(args.first, args.after);
      const result = await ctx.store.list({ windowId: args.filter?.windowId }, page.offset, page.limit);
      return connection(result.cases, result.total, page);
    },
    serviceItem: async (_: unknown, args: { code: string }, ctx: CasesContext) => {
      const item = await ctx.platformLoaders[regionOfItemCode(args.code)].items.load(args.code);
      return item && { code: item.code };
    },
    serviceItems: async (_: unknown, args: PageArgs & { region?: Region; search?: string }, ctx: CasesContext) => {
      const page = pageRequest(args.first, args.after);
      const result = await searchCatalog(ctx.platforms, { region: args.region, search: args.search }, page);
      return connection(
        result.items.map((item) => ({ code: item.code })),
        result.total,
        page,
      );
    },
  },
  ServiceItem: {
    __resolveType: (ref: { code: string }) => ITEM_TYPE[regionOfItemCode(ref.code)],
    __resolveReference: (ref: { code: string }) => ({ code: ref.code }),
  },
  PlatformCase: {
    __resolveType: (ref: { region: Region }) => PLATFORM_CASE_TYPE[ref.region],
  },
  Case: {
    __resolveReference: (ref: { businessNo: string }, ctx: CasesContext) => ctx.cases.load(ref.businessNo),
    item: (kase: CaseRecord) => ({ code: kase.itemCode }),
    receivingWindow: (kase: CaseRecord) => ({ id: kase.receivingWindowId }),
    jurisdictionWindow: (kase: CaseRecord) => ({ id: kase.jurisdictionWindowId }),
    applicant: (kase: CaseRecord) => ({ ...kase.applicant, idNumber: maskIdNumber(kase.applicant.idNumber) }),
    contact: (kase: CaseRecord) => ({ ...kase.contact, phone: maskPhone(kase.contact.phone) }),
    platformRecord: (kase: CaseRecord) =>
      kase.platformCaseId ? { id: kase.platformCaseId, region: kase.jurisdictionRegion } : null,
  },
};
