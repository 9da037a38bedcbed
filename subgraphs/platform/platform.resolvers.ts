import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { PlatformLoaders } from './platform.source.js';

export interface PlatformContext {
  platform: PlatformLoaders;
}

/** Chongqing and Sichuan expose the same shape under their own type names. */
export function platformResolvers(names: { item: string; case: string }): GraphQLResolverMap<PlatformContext> {
  const resolvers: GraphQLResolverMap<PlatformContext> = {};
  resolvers[names.item] = {
    __resolveReference: (ref: { code: string }, ctx: PlatformContext) => ctx.platform.items.load(ref.code),
  };
  resolvers[names.case] = {
    __resolveReference: (ref: { id: string }, ctx: PlatformContext) => ctx.platform.cases.load(ref.id),
    id: (record: { platformCaseId: string }) => record.platformCaseId,
  };
  return resolvers;
}
