/**
 * What REDIS_URL names: one Redis (`redis://`, `rediss://`) or a Redis Cluster
 * (`redis+cluster://[user:password@]host:port,host:port,…`, `rediss+cluster://`
 * for TLS). The cluster's listed nodes are only where discovery starts: ioredis
 * learns every master and replica from CLUSTER SLOTS.
 */
export type RedisTarget =
  | { kind: 'node'; url: string }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; username?: string; password?: string; tls: boolean };

export class RedisUrlError extends Error {
  readonly code = 'CONFIG.REDIS_URL';
}

const CLUSTER_SCHEME = /^(rediss?)\+cluster:\/\/(.*)$/;
const NODE_SCHEME = /^rediss?:$/;

export function parseRedisUrl(url: string): RedisTarget {
  const cluster = CLUSTER_SCHEME.exec(url);
  if (!cluster) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new RedisUrlError(`not a URL: ${url}`);
    }
    if (!NODE_SCHEME.test(parsed.protocol)) throw new RedisUrlError(`expected redis://, rediss:// or redis+cluster://, got ${parsed.protocol}//`);
    return { kind: 'node', url };
  }
  const [, scheme, rest] = cluster as unknown as [string, string, string];
  const at = rest.lastIndexOf('@');
  const credentials = at >= 0 ? rest.slice(0, at) : '';
  const hosts = (at >= 0 ? rest.slice(at + 1) : rest).replace(/\/$/, '');
  const nodes = hosts.split(',').map((entry) => {
    const match = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(entry.trim());
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) throw new RedisUrlError(`a cluster node must be host:port, got "${entry}" in ${scheme}+cluster://`);
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
  });
  const colon = credentials.indexOf(':');
  const username = decodeURIComponent(colon >= 0 ? credentials.slice(0, colon) : credentials);
  const password = colon >= 0 ? decodeURIComponent(credentials.slice(colon + 1)) : undefined;
  return { kind: 'cluster', nodes, tls: scheme === 'rediss', ...(username ? { username } : {}), ...(password ? { password } : {}) };
}
