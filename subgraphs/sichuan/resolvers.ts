import { platformResolvers } from '../platform/platform.resolvers.js';

export const resolvers = platformResolvers({ item: 'SichuanServiceItem', case: 'SichuanPlatformCase' });
