import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config.js';
import { parseRedisUrl } from '../../lib/redis-url.js';

describe('config', () => {
  it('has working defaults for a local run', () => {
    const config = loadConfig({});
    expect(config.env).toBe('development');
    expect(config.gateway.port).toBe(4000);
    expect(config.subgraphs.cases.port).toBe(4001);
    expect(config.redis).toEqual({ url: undefined, keyPrefix: 'tongban:' });
  });

  it('coerces and validates values', () => {
    const config = loadConfig({ GATEWAY_PORT: '8080', REDIS_URL: 'redis://10.0.0.5:6380', SUBGRAPH_TIMEOUT_MS: '1500', QUERY_PLAN_CACHE_MIB: '0.5' });
    expect(config.gateway).toEqual({
      port: 8080,
      subgraphTimeoutMs: 1500,
      queryPlanCacheMiB: 0.5,
      persistedQueryTtlSeconds: 86400,
      verifyPerMinute: 30,
      trustedProxyHops: 0,
      supergraph: { location: resolve('supergraph.graphql'), pollMs: 10_000, timeoutMs: 10_000 },
    });
    expect(config.certificates).toEqual({ verifyBaseUrl: 'http://127.0.0.1:8080', fontPath: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc' });
    expect(() => loadConfig({ TRUSTED_PROXY_HOPS: '-1' })).toThrow(/TRUSTED_PROXY_HOPS/);
    expect(loadConfig({ VERIFY_BASE_URL: 'https://tongban.example.gov.cn' }).certificates.verifyBaseUrl).toBe('https://tongban.example.gov.cn');
    expect(config.catalog).toEqual({ cacheMaxAgeMs: 300_000, missWaitMs: 1000 });
    expect(() => loadConfig({ CATALOG_MISS_WAIT_MS: '0' })).toThrow(/CATALOG_MISS_WAIT_MS/);
    expect(config.redis.url).toBe('redis://10.0.0.5:6380');
  });

  it('takes a Redis Cluster as REDIS_URL, and refuses a malformed node list', () => {
    const url = 'redis+cluster://ops:p%40ss@10.0.0.5:7000,10.0.0.6:7001,[::1]:7002';
    expect(loadConfig({ REDIS_URL: url }).redis.url).toBe(url);
    expect(parseRedisUrl(url)).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.5', port: 7000 },
        { host: '10.0.0.6', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      username: 'ops',
      password: 'p@ss',
      tls: false,
    });
    expect(parseRedisUrl('rediss+cluster://10.0.0.5:7000')).toMatchObject({ kind: 'cluster', tls: true });
    expect(parseRedisUrl('redis://10.0.0.5:6380')).toEqual({ kind: 'node', url: 'redis://10.0.0.5:6380' });
    for (const bad of ['redis+cluster://', 'redis+cluster://10.0.0.5', 'redis+cluster://10.0.0.5:7000,', 'redis+cluster://10.0.0.5:70000', 'redis+cluster://a b:7000', 'http://10.0.0.5:6379']) {
      expect(() => loadConfig({ REDIS_URL: bad }), bad).toThrow(/REDIS_URL/);
    }
  });

  it('reads the supergraph from a path or an http(s) URL, https only in production', () => {
    expect(loadConfig({ SUPERGRAPH: '' }).gateway.supergraph.location).toBe(resolve('supergraph.graphql'));
    expect(loadConfig({ SUPERGRAPH: 'deploy/next.graphql', SUPERGRAPH_POLL_MS: '0' }).gateway.supergraph).toEqual({ location: resolve('deploy/next.graphql'), pollMs: 0, timeoutMs: 10_000 });
    expect(loadConfig({ SUPERGRAPH: 'http://10.0.0.7/supergraph.graphql' }).gateway.supergraph.location).toBe('http://10.0.0.7/supergraph.graphql');
    expect(() => loadConfig({ SUPERGRAPH: 'ftp://10.0.0.7/supergraph.graphql' })).toThrow(/SUPERGRAPH: a file path or an http\(s\) URL/);
    expect(() => loadConfig({ SUPERGRAPH: 'https://' })).toThrow(/SUPERGRAPH/);
    expect(() => loadConfig({ SUPERGRAPH_POLL_MS: '-1' })).toThrow(/SUPERGRAPH_POLL_MS/);
    expect(() => loadConfig({ NODE_ENV: 'production', SUPERGRAPH: 'http://10.0.0.7/supergraph.graphql' })).toThrow(/SUPERGRAPH: must be a file or an https URL in production/);
  });

  it('names every bad variable in one error', () => {
    try {
      loadConfig({ GATEWAY_PORT: 'eighty', REDIS_URL: 'not a url', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toContain('GATEWAY_PORT');
      expect(message).toContain('REDIS_URL');
      expect(message).toContain('LOG_LEVEL');
      expect((error as ConfigError).problems).toHaveLength(3);
    }
  });

  it('refuses development secrets in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/YUKUAIBAN_APP_SECRET: must be set to a real secret/);
    const secrets = {
      YUKUAIBAN_APP_SECRET: 'a-real-secret-of-enough-length',
      SICHUAN_APP_SECRET: 'another-real-secret-of-length',
      COURIER_SECRET: 'a-third-real-secret-of-length',
      JWT_SECRET: 'a-production-jwt-secret-of-32-characters',
      NOTIFY_SECRET: 'a-fourth-real-secret-of-length',
      GATEWAY_SIGNING_KEYS: 'k2026:a-real-gateway-signing-key-of-32-chars',
      JWT_JWKS_URL: 'https://idp.example.gov.cn/.well-known/jwks.json',
    };
    expect(loadConfig({ NODE_ENV: 'production', ...secrets }).env).toBe('production');
    // The development key is refused even beside a real one.
    expect(() => loadConfig({ NODE_ENV: 'production', ...secrets, GATEWAY_SIGNING_KEYS: `k2026:${'x'.repeat(32)},dev:dev-gateway-signing-key-change-me-0123456789` })).toThrow(
      /GATEWAY_SIGNING_KEYS: must be set to a real secret/,
    );
  });

  it('requires the identity provider\'s keys over https in production, or an explicit opt-out', () => {
    const secrets = {
      YUKUAIBAN_APP_SECRET: 'a-real-secret-of-enough-length',
      SICHUAN_APP_SECRET: 'another-real-secret-of-length',
      COURIER_SECRET: 'a-third-real-secret-of-length',
      JWT_SECRET: 'a-production-jwt-secret-of-32-characters',
      NOTIFY_SECRET: 'a-fourth-real-secret-of-length',
      GATEWAY_SIGNING_KEYS: 'k2026:a-real-gateway-signing-key-of-32-chars',
    };
    expect(() => loadConfig({ NODE_ENV: 'production', ...secrets })).toThrow(/JWT_JWKS_URL: production verifies the identity provider's RS256\/ES256 keys/);
    expect(() => loadConfig({ NODE_ENV: 'production', ...secrets, JWT_JWKS_URL: 'http://idp.example.gov.cn/jwks.json' })).toThrow(/JWT_JWKS_URL: must be an https URL/);
    const optedOut = loadConfig({ NODE_ENV: 'production', ...secrets, JWT_ALLOW_SHARED_SECRET: 'true' });
    expect([optedOut.auth.jwksUrl, optedOut.auth.allowSharedSecret]).toEqual([undefined, true]);
    expect(loadConfig({ NODE_ENV: 'development' }).auth.allowSharedSecret).toBe(false);
  });

  it('reads the gateway signing keys, the first signing', () => {
    const config = loadConfig({ GATEWAY_SIGNING_KEYS: `new:${'n'.repeat(32)}, old:${'o'.repeat(40)}` });
    expect(config.gatewayKeys).toEqual([
      { id: 'new', secret: 'n'.repeat(32) },
      { id: 'old', secret: 'o'.repeat(40) },
    ]);
    expect(() => loadConfig({ GATEWAY_SIGNING_KEYS: 'short:abc' })).toThrow(/GATEWAY_SIGNING_KEYS/);
    expect(() => loadConfig({ GATEWAY_SIGNING_KEYS: '' })).toThrow(/GATEWAY_SIGNING_KEYS/);
  });

  it('refuses a port out of range', () => {
    expect(() => loadConfig({ CASES_PORT: '70000' })).toThrow(/CASES_PORT/);
  });
  it('keeps files on disk by default and in S3 when told, with limits checked', () => {
    expect(loadConfig({}).files).toEqual({
      store: { kind: 'disk', directory: 'data/files' },
      policy: { maxFileBytes: 50 * 1024 * 1024, caseMaxBytes: 200 * 1024 * 1024, pdfMaxPages: 300 },
      uploadExpiryMs: 24 * 3600_000,
    });
    const s3 = loadConfig({
      FILE_STORE: 's3',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_BUCKET: 'tongban-files',
      S3_ACCESS_KEY_ID: 'key',
      S3_SECRET_ACCESS_KEY: 'secret',
      S3_FORCE_PATH_STYLE: 'false',
      FILE_MAX_BYTES: '1000',
      CASE_FILES_MAX_BYTES: '1000',
      PDF_MAX_PAGES: '10',
      UPLOAD_EXPIRY_MS: '60000',
    }).files;
    expect(s3.store).toEqual({
      kind: 's3',
      endpoint: 'http://127.0.0.1:9000',
      bucket: 'tongban-files',
      region: 'us-east-1',
      accessKeyId: 'key',
      secretAccessKey: 'secret',
      forcePathStyle: false,
    });
    expect(s3.policy).toEqual({ maxFileBytes: 1000, caseMaxBytes: 1000, pdfMaxPages: 10 });
    expect(loadConfig({ FILE_STORE: 's3', S3_BUCKET: 'b-1', S3_ENDPOINT: '' }).files.store).toMatchObject({ endpoint: undefined, accessKeyId: undefined });

    try {
      loadConfig({ FILE_STORE: 's3', S3_ACCESS_KEY_ID: 'key', FILE_MAX_BYTES: '2000', CASE_FILES_MAX_BYTES: '1000', PDF_MAX_PAGES: '0', S3_ENDPOINT: 'ftp://x' });
      expect.unreachable();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      for (const name of ['S3_BUCKET', 'S3_SECRET_ACCESS_KEY', 'CASE_FILES_MAX_BYTES', 'PDF_MAX_PAGES', 'S3_ENDPOINT']) expect(problems).toContain(name);
    }
    expect(() => loadConfig({ FILE_STORE: 'ftp' })).toThrow(/FILE_STORE/);
    expect(() => loadConfig({ S3_BUCKET: 'Not_A_Bucket' })).toThrow(/S3_BUCKET/);
  });
});
