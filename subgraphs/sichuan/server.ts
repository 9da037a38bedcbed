import type { PlatformPort } from '../../adapters/platform.port.js';
import type { Logger } from '../../lib/logger.js';
import { startSubgraph } from '../../lib/subgraph-server.js';
import { platformSubgraph } from '../platform/platform.server.js';

export function sichuanSubgraph(deps: { sichuan: PlatformPort }) {
  return platformSubgraph({
    name: 'sichuan',
    schemaFile: new URL('./schema.graphql', import.meta.url),
    typeNames: { item: 'SichuanServiceItem', case: 'SichuanPlatformCase' },
    port: deps.sichuan,
  });
}

export function startSichuanSubgraph(deps: { sichuan: PlatformPort; logger: Logger; host: string; port: number }) {
  return startSubgraph(sichuanSubgraph(deps), deps);
}
