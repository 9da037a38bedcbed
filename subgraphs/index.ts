import type { Redis } from 'ioredis';
import type { PlatformPort } from '../adapters/platform.port.js';
import type { Region } from '../domain/region.js';
import type { Config, SubgraphName } from '../lib/config.js';
import type { RunningServer } from '../lib/http-server.js';
import type { TokenVerifier } from '../lib/auth/access-token.js';
import type { Logger } from '../lib/logger.js';
import { RedisNonceStore } from '../lib/nonce-store.js';
import type { JobQueues } from '../queues/job-queues.js';
import { startCasesSubgraph } from './cases/server.js';
import { CatalogCache } from './platform/catalog.cache.js';
import { guidedPlatforms } from '../ledger/catalog/official-guides.js';
import { startChongqingSubgraph } from './chongqing/server.js';
import { startCourierSubgraph } from './courier/server.js';
import { startSichuanSubgraph } from './sichuan/server.js';
import { startWindowsSubgraph } from './windows/server.js';
import { createFileStore } from '../lib/files/store-factory.js';

export interface SubgraphDeps {
  config: Config;
  redis: Redis;
  platforms: Record<Region, PlatformPort>;
  queues: Pick<JobQueues, 'platformEvents' | 'transfers' | 'notifications' | 'alerts' | 'courierEvents'>;
  logger: Logger;
  tokens: TokenVerifier;
  now?: () => Date;
}

export function startSubgraphByName(name: SubgraphName, port: number, deps: SubgraphDeps): Promise<RunningServer> {
  const common = { logger: deps.logger.child({ subgraph: name }), host: deps.config.host, port, tokens: deps.tokens, gatewayKeys: deps.config.gatewayKeys };
  const { platforms } = deps.config;
  const guided = guidedPlatforms(deps.platforms, deps.redis);
  const catalog = (region: Region) => new CatalogCache(deps.redis, guided[region], { maxAgeMs: deps.config.catalog.cacheMaxAgeMs, missWaitMs: deps.config.catalog.missWaitMs });
  switch (name) {
    case 'cases':
      return startCasesSubgraph({
        ...common,
        redis: deps.redis,
        platforms: deps.platforms,
        catalogs: { CHONGQING: catalog('CHONGQING'), SICHUAN: catalog('SICHUAN') },
        transfers: deps.queues.transfers,
        files: deps.config.files.policy,
        fileStore: createFileStore(deps.config.files.store),
        verifyBaseUrl: deps.config.certificates.verifyBaseUrl,
        notifications: deps.queues.notifications,
        alerts: deps.queues.alerts,
        now: deps.now,
      });
    case 'chongqing':
      return startChongqingSubgraph({
        ...common,
        yukuaiban: deps.platforms.CHONGQING,
        catalog: catalog('CHONGQING'),
        appKey: platforms.yukuaiban.appKey,
        appSecret: platforms.yukuaiban.appSecret,
        nonceStore: new RedisNonceStore(deps.redis, 'yukuaiban'),
        events: deps.queues.platformEvents,
      });
    case 'sichuan':
      return startSichuanSubgraph({
        ...common,
        sichuan: deps.platforms.SICHUAN,
        catalog: catalog('SICHUAN'),
        appId: platforms.sichuan.appId,
        appSecret: platforms.sichuan.appSecret,
        nonceStore: new RedisNonceStore(deps.redis, 'sichuan'),
        events: deps.queues.platformEvents,
      });
    case 'windows':
      return startWindowsSubgraph({ ...common, redis: deps.redis, demoWindows: deps.config.env !== 'production' });
    case 'courier':
      return startCourierSubgraph({
        ...common,
        redis: deps.redis,
        partnerId: platforms.courier.partnerId,
        secret: platforms.courier.secret,
        nonceStore: new RedisNonceStore(deps.redis, 'courier'),
        events: deps.queues.courierEvents,
        now: deps.now,
      });
  }
}
