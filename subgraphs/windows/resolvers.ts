import type { TimeRange } from '../../domain/hours/index.js';
import { requireRole } from '../../lib/auth/caller.js';
import type { WindowsContext } from './server.js';
import type { WindowQuery } from './window-directory.service.js';
import { draftFromInput, WEEKDAYS, type WindowInput } from './window-input.validator.js';
import type { WindowRecord } from '../../ledger/windows/window.model.js';

const formatRanges = (ranges: readonly TimeRange[]) => ranges.map(([start, end]) => `${start}-${end}`);

export const resolvers = {
  Query: {
    window: (_: unknown, args: { id: string }, ctx: WindowsContext) => ctx.windows.load(args.id),
    windows: (_: unknown, args: WindowQuery, ctx: WindowsContext) => ctx.directory.find(ctx.reader, args),
  },
  Mutation: {
    upsertWindow: (_: unknown, args: { input: WindowInput }, ctx: WindowsContext) => {
      requireRole(ctx.caller, 'OPS', 'SUPERVISOR');
      return ctx.directory.upsert(draftFromInput(args.input), ctx.actor, args.input.expectedVersion);
    },
  },
  Window: {
    __resolveReference: (ref: { id: string }, ctx: WindowsContext) => ctx.windows.load(ref.id),
    hours: (window: WindowRecord) => WEEKDAYS.map((day) => ({ day: day.toUpperCase(), ranges: formatRanges(window.hours[day]) })),
    makeupDayHours: (window: WindowRecord) => formatRanges(window.hours.makeupDayHours ?? window.hours.mon),
    holidayHours: (window: WindowRecord) => formatRanges(window.hours.holidayHours ?? []),
    history: (window: WindowRecord, _: unknown, ctx: WindowsContext) => ctx.histories.load(window.id),
    openAt: (window: WindowRecord, args: { instant: string }, ctx: WindowsContext) => ctx.directory.isOpen(window, args.instant),
  },
};
