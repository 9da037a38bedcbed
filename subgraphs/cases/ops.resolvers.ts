import { requireRole } from '../../lib/auth/caller.js';
import type { QueueCounts, QueueJobSummary } from '../../queues/queue-admin.js';
import type { Region } from '../../domain/region.js';
import { invalidateCatalog } from '../../ledger/catalog/catalog-generation.js';
import type { CasesContext } from './server.js';

/** The queues as ops see and mend them; each root field checks the role, so no other caller learns what is queued. */
export const opsResolvers = {
  Query: {
    queues: (_: unknown, __: unknown, ctx: CasesContext) => {
      requireRole(ctx.caller, 'OPS');
      return ctx.queues.counts();
    },
  },
  Mutation: {
    retryJob: (_: unknown, args: { queue: string; jobId: string }, ctx: CasesContext) => {
      requireRole(ctx.caller, 'OPS');
      return ctx.queues.retry(args.queue, args.jobId);
    },
    replayDeadLetters: (_: unknown, args: { queue: string; limit: number }, ctx: CasesContext) => {
      requireRole(ctx.caller, 'OPS');
      return ctx.queues.replayFailed(args.queue, args.limit);
    },
    invalidateCatalog: (_: unknown, args: { region: Region }, ctx: CasesContext) => {
      requireRole(ctx.caller, 'OPS');
      return invalidateCatalog(ctx.redis, args.region);
    },
  },
  QueueStatus: {
    name: (status: QueueCounts) => status.queue,
    latestFailed: (status: QueueCounts, args: { first: number }, ctx: CasesContext) => ctx.queues.latestFailed(status.queue, args.first),
  },
  QueueJob: {
    timestamp: (job: QueueJobSummary) => new Date(job.timestamp).toISOString(),
    finishedAt: (job: QueueJobSummary) => (job.finishedOn === null ? null : new Date(job.finishedOn).toISOString()),
  },
};
