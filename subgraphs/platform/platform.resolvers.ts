import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { PlatformRecordMismatchError } from '../../adapters/platform.errors.js';
import type { Logger } from '../../lib/logger.js';
import type { PlatformLoaders } from './platform.source.js';

export interface PlatformContext {
  platform: PlatformLoaders;
}

/**
 * Chongqing and Sichuan expose the same shape under their own type names. A
 * case's platform record is asked for by platform id and business number, and
 * a record of another business number is refused as a field error, logged (the
 * gateway counts the code), never shown as this case's.
 */
export function platformResolvers(names: { item: string; case: string }, logger: Logger): GraphQLResolverMap<PlatformContext> {
  const resolvers: GraphQLResolverMap<PlatformContext> = {};
  resolvers[names.item] = {
    __resolveReference: (ref: { code: string }, ctx: PlatformContext) => ctx.platform.items.load(ref.code),
  };
  resolvers[names.case] = {
    __resolveReference: async (ref: { id: string; businessNo: string }, ctx: PlatformContext) => {
      const record = await ctx.platform.cases.load(ref.id);
      if (record && record.businessNo !== ref.businessNo) {
        const error = new PlatformRecordMismatchError(ref.id, ref.businessNo, record.businessNo);
        logger.warn({ code: error.code, platformCaseId: ref.id, businessNo: ref.businessNo, recordBusinessNo: record.businessNo }, error.message);
        throw error;
      }
      return record;
    },
    id: (record: { platformCaseId: string }) => record.platformCaseId,
  };
  return resolvers;
}
