import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { newVerificationCode, verifyUrl } from '../../domain/certificates/index.js';
import { verifyQrSvg } from '../../lib/certificate-qr.js';
import { clientAddress } from '../../lib/client-address.js';
import { RateLimiter } from '../../lib/rate-limit.js';

const request = (remoteAddress: string | undefined, forwardedFor?: string) => ({
  remoteAddress,
  headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
});

describe('clientAddress', () => {
  it('is the TCP peer, whatever X-Forwarded-For says, unless proxies are trusted', () => {
    expect(clientAddress(request('198.51.100.7', '203.0.113.1'), 0)).toBe('198.51.100.7');
    expect(clientAddress(request('::ffff:198.51.100.7'), 0)).toBe('198.51.100.7');
    expect(clientAddress(request(undefined), 0)).toBe('unknown');
  });

  it('reads from the right as many entries as there are trusted proxies', () => {
    // Client → proxy A → proxy B → gateway: B is the peer, A appended the client, B appended A.
    expect(clientAddress(request('10.0.0.2', '192.0.2.66, 203.0.113.5, 10.0.0.1'), 2)).toBe('203.0.113.5');
    expect(clientAddress(request('10.0.0.1', '192.0.2.66, 203.0.113.5'), 1)).toBe('203.0.113.5');
    // Fewer entries than hops: the leftmost there is; junk where the address should be: the peer.
    expect(clientAddress(request('10.0.0.1', '203.0.113.5'), 3)).toBe('203.0.113.5');
    expect(clientAddress(request('10.0.0.1', 'not-an-address'), 1)).toBe('10.0.0.1');
    expect(clientAddress(request('10.0.0.1'), 1)).toBe('10.0.0.1');
  });

  it('counts an IPv6 client by its /64', () => {
    expect(clientAddress(request('2001:db8:1:2:aaaa::1'), 0)).toBe('2001:db8:1:2::/64');
    expect(clientAddress(request('2001:0db8:0001:0002:ffff:1:2:3'), 0)).toBe('2001:db8:1:2::/64');
    expect(clientAddress(request('2001:db8::1'), 0)).toBe('2001:db8:0:0::/64');
    expect(clientAddress(request('::1'), 0)).toBe('0:0:0:0::/64');
    expect(clientAddress(request('fe80::1%eth0'), 0)).toBe('fe80:0:0:0::/64');
  });
});

describe('RateLimiter.retryAfterSeconds', () => {
  it('counts to the end of the budget minute', () => {
    const limiter = new RateLimiter(null as never, 1, 'verify');
    expect(limiter.retryAfterSeconds(Date.UTC(2026, 0, 1, 0, 0, 0))).toBe(60);
    expect(limiter.retryAfterSeconds(Date.UTC(2026, 0, 1, 0, 0, 59, 500))).toBe(1);
    expect(limiter.retryAfterSeconds(Date.UTC(2026, 0, 1, 0, 0, 30, 1))).toBe(30);
  });
});

describe('verifyQrSvg', () => {
  it('draws the QR code of the verify URL, module for module', async () => {
    const code = newVerificationCode();
    const svg = await verifyQrSvg('https://tongban.example.gov.cn/', code);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 (\d+) \1"/);
    const { modules } = QRCode.create(`https://tongban.example.gov.cn/verify/${code}`, { errorCorrectionLevel: 'M' });
    expect(verifyUrl('https://tongban.example.gov.cn/', code)).toBe(`https://tongban.example.gov.cn/verify/${code}`);
    const drawn = Array.from({ length: modules.size }, () => Array<boolean>(modules.size).fill(false));
    const path = /<path stroke="#000000" d="([^"]+)"/.exec(svg)![1]!;
    let [x, y] = [0, 0];
    for (const [, op, a, b] of path.matchAll(/([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?/g)) {
      if (op === 'M') [x, y] = [Number(a), Number(b)];
      else if (op === 'm') [x, y] = [x + Number(a), y + Number(b)];
      else {
        for (let col = x; col < x + Number(a); col++) drawn[y - 0.5 - 2]![col - 2] = true;
        x += Number(a);
      }
    }
    const expected = Array.from({ length: modules.size }, (_, r) => Array.from({ length: modules.size }, (_, c) => Boolean(modules.get(r, c))));
    expect(drawn).toEqual(expected);
  });
});
