import type { Redis } from 'ioredis';
import type { PlatformPort } from '../adapters/platform.port.js';
import type { SubgraphName } from '../lib/config.js';
import type { RunningServer } from '../lib/http-server.js';
import type { Logger } from '../lib/logger.js';
import type { Region } from '../domain/region.js';
import { startCasesSubgraph } from './cases/server.js';
import { startChongqingSubgraph } from './chongqing/server.js';
import { startCourierSubgraph } from './courier/server.js';
import { startSichuanSubgraph } from './sichuan/server.js';
import { startWindowsSubgraph } from './windows/server.js';

export interface SubgraphDeps {
  redis: Redis;
  platforms: Record<Region, PlatformPort>;
  logger: Logger;
  host: string;
}

export function startSubgraphByName(name: SubgraphName, port: number, deps: SubgraphDeps): Promise<RunningServer> {
  const common = { logger: deps.logger.child({ subgraph: name }), host: deps.host, port };
  switch (name) {
    case 'cases':
      return startCasesSubgraph({ ...common, redis: deps.redis, platforms: deps.platforms });
    case 'chongqing':
      return startChongqingSubgraph({ ...common, yukuaiban: deps.platforms.CHONGQING });
    case 'sichuan':
      return startSichuanSubgraph({ ...common, sichuan: deps.platforms.SICHUAN });
    case 'windows':
      return startWindowsSubgraph({ ...common, redis: deps.redis });
    case 'courier':
      return startCourierSubgraph({ ...common, redis: deps.redis });
  }
}
