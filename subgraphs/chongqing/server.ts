import type { PlatformPort } from '../../adapters/platform.port.js';
import type { Logger } from '../../lib/logger.js';
import { startSubgraph } from '../../lib/subgraph-server.js';
import { platformSubgraph } from '../platform/platform.server.js';

export function chongqingSubgraph(deps: { yukuaiban: PlatformPort }) {
  return platformSubgraph({
    name: 'chongqing',
    schemaFile: new URL('./schema.graphql', import.meta.url),
    typeNames: { item: 'ChongqingServiceItem', case: 'ChongqingPlatformCase' },
    port: deps.yukuaiban,
  });
}

export function startChongqingSubgraph(deps: { yukuaiban: PlatformPort; logger: Logger; host: string; port: number }) {
  return startSubgraph(chongqingSubgraph(deps), deps);
}
