import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatVerificationCode, newVerificationCode, type Certificate } from '../../domain/certificates/index.js';
import { CertificateStore } from '../../ledger/certificates/certificate.store.js';
import { createRedis, masterNodes } from '../../lib/redis.js';
import { certificateFixture } from '../support/certificate-fixture.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const BUDGET = 12;
const BUSINESS_NO = 'TB2026010551000000042';

/**
 * The public 电子证照 check through the gateway, over the real stack: what it
 * says for each state of a certificate, what it never shows, how it is served,
 * and the per-address budget the gateway keeps in Redis. The stack trusts one
 * proxy hop, so each test speaks from an address of its own (X-Forwarded-For as
 * that proxy would set it) and draws on a budget of its own.
 */
describe('GET /verify/<code> through the gateway', () => {
  let stack: TestStack;
  let certificates: CertificateStore;
  let address = 0;
  const realNow = () => new Date();

  beforeAll(async () => {
    stack = await startTestStack({ workers: false, env: { VERIFY_REQUESTS_PER_MINUTE: String(BUDGET), TRUSTED_PROXY_HOPS: '1' } });
    certificates = new CertificateStore(stack.redis);
  });

  afterAll(async () => {
    await stack?.close();
  });

  afterEach(() => {
    stack.clock.now = realNow;
  });

  function client(ip = `203.0.113.${++address}`) {
    return (path: string, accept = 'text/html', forwardedFor = ip) =>
      fetch(`${stack.gateway.url}${path}`, { headers: { accept, 'x-forwarded-for': forwardedFor } });
  }

  async function recorded(overrides: Partial<Certificate> = {}): Promise<Certificate> {
    const cert = certificateFixture(overrides);
    await certificates.record(BUSINESS_NO, cert);
    return cert;
  }

  it('says 有效 with the number, the item and the masked holder, and nothing else', async () => {
    const cert = await recorded();
    const get = client();
    const response = await get(`/verify/${formatVerificationCode(cert.verificationCode).toLowerCase()}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; .*frame-ancestors 'none'/);
    const page = await response.text();
    expect(page).toContain('有效');
    expect(page).toContain(cert.number);
    expect(page).toContain(cert.itemName);
    expect(page).toContain('张*三');
    for (const hidden of ['张小三', cert.holderIdNumber!, BUSINESS_NO, cert.department, cert.validUntil!]) expect(page).not.toContain(hidden);

    const json = await get(`/verify/${cert.verificationCode}`, 'application/json');
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json.headers.get('cache-control')).toBe('no-store');
    expect(await json.json()).toEqual({ status: 'VALID', number: cert.number, itemName: cert.itemName, holder: '张*三' });
  });

  it('shows an organisation as registered', async () => {
    const cert = await recorded({ holderName: '重庆渝水工程检测有限公司', holderIdNumber: '91350100M000100Y43' });
    expect(await (await client()(`/verify/${cert.verificationCode}`, 'application/json')).json()).toMatchObject({ holder: '重庆渝水工程检测有限公司' });
  });

  it('says 已撤销 once the platform revokes it', async () => {
    const cert = await recorded();
    const get = client();
    await certificates.revoke({ number: cert.number }, '以欺骗手段取得', '2026-03-01T09:00:00+08:00');
    const response = await get(`/verify/${cert.verificationCode}`);
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('已撤销');
    expect(page).not.toContain('以欺骗手段取得');
    expect(await (await get(`/verify/${cert.verificationCode}`, 'application/json')).json()).toMatchObject({ status: 'REVOKED', number: cert.number });
  });

  it('says 已过期 from the midnight after its last day, Shanghai time', async () => {
    const cert = await recorded({ validUntil: '2031-01-04' });
    const get = client();
    stack.clock.now = () => new Date('2031-01-04T23:59:59+08:00');
    expect(await (await get(`/verify/${cert.verificationCode}`, 'application/json')).json()).toMatchObject({ status: 'VALID' });
    stack.clock.now = () => new Date('2031-01-05T00:00:00+08:00');
    expect(await (await get(`/verify/${cert.verificationCode}`, 'application/json')).json()).toMatchObject({ status: 'EXPIRED' });
    expect(await (await get(`/verify/${cert.verificationCode}`)).text()).toContain('已过期');
    const longTerm = await recorded({ validUntil: null });
    expect(await (await get(`/verify/${longTerm.verificationCode}`, 'application/json')).json()).toMatchObject({ status: 'VALID' });
  });

  it('answers 404 未找到 for a code no certificate has', async () => {
    const get = client();
    const json = await get(`/verify/${newVerificationCode()}`, 'application/json');
    expect(json.status).toBe(404);
    expect(await json.json()).toEqual({ status: 'UNKNOWN', number: null, itemName: null, holder: null });
    const page = await get(`/verify/${newVerificationCode()}`);
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('未找到');
  });

  it('refuses a malformed code with 400 without asking Redis', async () => {
    const get = client();
    // Every master of a cluster: the certificate's key may live on any.
    const raw = createRedis(stack.redisUrl, '');
    const monitors = await Promise.all((await masterNodes(raw)).map((node) => node.monitor()));
    const reads: string[] = [];
    for (const monitor of monitors) {
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args.some((arg) => arg.startsWith(`${stack.prefix}certificate:`))) reads.push(args.join(' '));
      });
    }
    try {
      for (const junk of ['nope', '0'.repeat(21), 'UUUU-UUUU-UUUU-UUUU-UUUU', '%E0%A4%A']) {
        const json = await get(`/verify/${junk}`, 'application/json');
        expect(json.status, junk).toBe(400);
        expect(await json.json()).toMatchObject({ error: { code: 'CERTIFICATE.MALFORMED_CODE' } });
      }
      const page = await get('/verify/nope');
      expect(page.status).toBe(400);
      expect(await page.text()).toContain('核验码无效');
      expect(reads).toEqual([]);
      // The same monitor sees a well-formed one read once.
      await get(`/verify/${newVerificationCode()}`, 'application/json');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(reads).toHaveLength(1);
    } finally {
      for (const monitor of monitors) monitor.disconnect();
      raw.disconnect();
    }
  });

  it('is served by the cases subgraph to the gateway only', async () => {
    const cert = await recorded();
    const direct = await fetch(`${stack.subgraphs.cases.url}/verify/${cert.verificationCode}`, { headers: { accept: 'application/json' } });
    expect(direct.status).toBe(401);
    expect(await direct.json()).toMatchObject({ errors: [{ extensions: { code: 'AUTH.GATEWAY_SIGNATURE' } }] });
  });

  it('answers 429 with retry-after past the budget of one address, whatever it claims further left', async () => {
    const cert = await recorded();
    const ip = '198.51.100.9';
    const get = client(ip);
    // Sent until refused: 2 × budget + 1 crosses the budget even if a minute turns over on the way.
    let admitted = 0;
    let refused: Response | undefined;
    for (let i = 0; i <= 2 * BUDGET && !refused; i++) {
      const response = await get(`/verify/${cert.verificationCode}`, 'application/json');
      if (response.status === 429) refused = response;
      else {
        expect(response.status).toBe(200);
        admitted++;
      }
    }
    expect(refused).toBeDefined();
    expect(admitted).toBeGreaterThanOrEqual(BUDGET);
    expect(await refused!.json()).toMatchObject({ error: { code: 'LIMIT.RATE' } });
    const retryAfter = Number(refused!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused!.headers.get('cache-control')).toBe('no-store');
    // A forged entry to the left of what the trusted proxy appended changes nothing.
    expect((await get(`/verify/${cert.verificationCode}`, 'application/json', `192.0.2.1, ${ip}`)).status).toBe(429);
    // Another address has a budget of its own.
    expect((await client()(`/verify/${cert.verificationCode}`, 'application/json')).status).toBe(200);
  });
});
