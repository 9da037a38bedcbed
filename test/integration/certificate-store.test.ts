import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CertificateCodeTakenError,
  CertificateNotFoundError,
  CertificateNumberTakenError,
  CertificateStore,
} from '../../ledger/certificates/certificate.store.js';
import { newVerificationCode } from '../../domain/certificates/index.js';
import { createRedis, deleteKeysWithPrefix } from '../../lib/redis.js';
import { certificateFixture } from '../support/certificate-fixture.js';
import { testPrefix, testRedisUrl } from '../support/stack.js';

describe('CertificateStore over Redis', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let store: CertificateStore;

  beforeAll(() => {
    redis = createRedis(testRedisUrl(), prefix);
    store = new CertificateStore(redis);
  });

  afterAll(async () => {
    redis.disconnect();
    await deleteKeysWithPrefix(testRedisUrl(), prefix);
  });

  it('answers a lookup with the masked holder and nothing of the id number', async () => {
    const cert = certificateFixture();
    expect(await store.record('TB2026010551000000001', cert)).toBe('RECORDED');
    const entry = await store.lookup(cert.verificationCode);
    expect(entry).toEqual({
      businessNo: 'TB2026010551000000001',
      number: cert.number,
      holder: '张*三',
      itemName: cert.itemName,
      validUntil: '2031-01-04',
      revokedAt: null,
      revocationReason: null,
    });
    expect(JSON.stringify(entry)).not.toContain('110101');
    // Under the connection's prefix, as every store's keys.
    const raw = createRedis(testRedisUrl(), '');
    try {
      expect([await raw.exists(`${prefix}certificate:{certificates}:code:${cert.verificationCode}`), await raw.exists(`${prefix}certificate:{certificates}:number:${cert.number}`)]).toEqual([1, 1]);
    } finally {
      raw.disconnect();
    }
  });

  it('records the same certificate twice as once, and keeps its revocation', async () => {
    const cert = certificateFixture();
    await store.record('TB1', cert);
    await store.revoke({ code: cert.verificationCode }, '以欺骗手段取得', '2026-03-01T09:00:00+08:00');
    expect(await store.record('TB1', cert)).toBe('DUPLICATE');
    expect((await store.lookup(cert.verificationCode))?.revokedAt).toBe('2026-03-01T09:00:00+08:00');
  });

  it('refuses a code another certificate holds, and a number bound to another code', async () => {
    const cert = certificateFixture();
    await store.record('TB2', cert);
    await expect(store.record('TB2', { ...cert, number: `${cert.number}-2` })).rejects.toBeInstanceOf(CertificateCodeTakenError);
    await expect(store.record('TB3', cert)).rejects.toMatchObject({ code: 'CERTIFICATE.CODE_TAKEN' });
    await expect(store.record('TB2', { ...cert, verificationCode: newVerificationCode() })).rejects.toBeInstanceOf(CertificateNumberTakenError);
    expect((await store.lookup(cert.verificationCode))?.number).toBe(cert.number);
    expect(await redis.exists(`certificate:{certificates}:number:${cert.number}-2`)).toBe(0);
  });

  it('revokes by number or by code, once: the first time and reason stand', async () => {
    const byNumber = certificateFixture();
    const byCode = certificateFixture();
    await store.record('TB4', byNumber);
    await store.record('TB5', byCode);
    expect(await store.revoke({ number: byNumber.number }, '证照信息有误', '2026-02-01T10:00:00+08:00')).toBe('REVOKED');
    expect(await store.revoke({ code: byNumber.verificationCode }, '重复推送', '2026-02-02T10:00:00+08:00')).toBe('ALREADY_REVOKED');
    expect(await store.lookup(byNumber.verificationCode)).toMatchObject({ revokedAt: '2026-02-01T10:00:00+08:00', revocationReason: '证照信息有误', holder: '张*三' });
    expect(await store.revoke({ code: byCode.verificationCode }, '注销', '2026-02-03T10:00:00+08:00')).toBe('REVOKED');
    expect((await store.lookup(byCode.verificationCode))?.revocationReason).toBe('注销');
  });

  it('knows no certificate it was not told of', async () => {
    expect(await store.lookup(newVerificationCode())).toBeNull();
    await expect(store.revoke({ number: 'no such number' }, 'x', '2026-02-01T10:00:00+08:00')).rejects.toBeInstanceOf(CertificateNotFoundError);
    await expect(store.revoke({ code: newVerificationCode() }, 'x', '2026-02-01T10:00:00+08:00')).rejects.toMatchObject({ code: 'CERTIFICATE.NOT_FOUND' });
  });

  it('records each of concurrent duplicates once', async () => {
    const cert = certificateFixture();
    const results = await Promise.all(Array.from({ length: 8 }, () => store.record('TB6', cert)));
    expect(results.filter((r) => r === 'RECORDED')).toHaveLength(1);
    expect(results.filter((r) => r === 'DUPLICATE')).toHaveLength(7);
  });
});
