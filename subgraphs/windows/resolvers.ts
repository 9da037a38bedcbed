import type { Region } from '../../domain/region.js';
import type { Weekday } from '../../domain/hours/index.js';
import type { WindowRecord } from './window.model.js';
import type { WindowsContext } from './server.js';

const WEEKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export const resolvers = {
  Query: {
    window: (_: unknown, args: { id: string }, ctx: WindowsContext) => ctx.windows.load(args.id),
    windows: (_: unknown, args: { region?: Region; divisionCode?: string }, ctx: WindowsContext) =>
      ctx.store.list({ region: args.region, divisionCode: args.divisionCode }),
  },
  Window: {
    __resolveReference: (ref: { id: string }, ctx: WindowsContext) => ctx.windows.load(ref.id),
    hours: (window: WindowRecord) =>
      WEEKDAYS.map((day) => ({ day: day.toUpperCase(), ranges: window.hours[day].map(([start, end]) => `${start}-${end}`) })),
  },
};
