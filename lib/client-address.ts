import { isIPv4, isIPv6 } from 'node:net';
import { headerValue, type HttpRequestHead } from './http-server.js';

/**
 * Who a per-client budget is counted against. The TCP peer, unless the
 * deployment says `trustedProxyHops` proxies of its own stand in front: then
 * the address the outermost of them saw, read from the right of
 * X-Forwarded-For, since anything further left is whatever the client sent.
 * An IPv6 client is counted by its /64, which one subscriber line gets whole.
 */
export function clientAddress(request: Pick<HttpRequestHead, 'headers' | 'remoteAddress'>, trustedProxyHops: number): string {
  const peer = request.remoteAddress ?? 'unknown';
  let address = peer;
  if (trustedProxyHops > 0) {
    const forwarded = (headerValue(request.headers['x-forwarded-for']) ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    const chain = [...forwarded, peer];
    const candidate = chain[Math.max(0, chain.length - 1 - trustedProxyHops)]!;
    address = isIPv4(candidate) || isIPv6(candidate) ? candidate : peer;
  }
  return budgetSubject(address);
}

function budgetSubject(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address.split('%')[0]!)) return address;
  const [head = '', tail] = address.split('%')[0]!.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((group) => parseInt(group, 16).toString(16)).join(':')}::/64`;
}
