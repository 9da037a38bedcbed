import { platformResolvers } from '../platform/platform.resolvers.js';

export const resolvers = platformResolvers({ item: 'ChongqingServiceItem', case: 'ChongqingPlatformCase' });
