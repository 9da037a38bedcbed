import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseGatewayKeys, type GatewayKey } from './auth/gateway-signature.js';
import type { FilePolicy } from './files/file-check.js';
import { parseRedisUrl, RedisUrlError } from './redis-url.js';
import type { S3Settings } from './files/s3.store.js';

/**
 * The one place that reads the environment. Everything else receives a typed
 * `Config` (or a part of it), so a bad value fails at start-up with the name of
 * the variable instead of deep inside a request.
 */
export const SUBGRAPH_NAMES = ['cases', 'chongqing', 'sichuan', 'windows', 'courier'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().positive();
const url = z.url({ protocol: /^(https?|redis|rediss)$/ });
const optionalUrl = z.preprocess((value) => (value === '' ? undefined : value), url.optional());
const optionalString = z.preprocess((value) => (value === '' ? undefined : value), z.string().min(1).optional());
const redisUrl = z.preprocess(
  (value) => (value === '' ? undefined : value),
  z
    .string()
    .superRefine((value, ctx) => {
      try {
        parseRedisUrl(value);
      } catch (error) {
        if (!(error instanceof RedisUrlError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
      }
    })
    .optional(),
);
const bytes = z.coerce.number().int().positive();
const MIB = 1024 * 1024;
const secret = z.string().min(16, 'must be at least 16 characters');
const COMMITTED_SUPERGRAPH = fileURLToPath(new URL('../supergraph.graphql', import.meta.url));
/** A path (relative to the working directory) or an http(s) URL; anything else with a scheme is a mistake. */
const supergraphLocation = z
  .string()
  .min(1)
  .refine((value) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || (/^https?:\/\//i.test(value) && URL.canParse(value)), 'a file path or an http(s) URL');

const DEV_SECRETS = {
  YUKUAIBAN_APP_SECRET: 'dev-yukuaiban-secret-change-me',
  SICHUAN_APP_SECRET: 'dev-sichuan-secret-change-me',
  COURIER_SECRET: 'dev-courier-secret-change-me',
  JWT_SECRET: 'dev-jwt-secret-change-me-0123456789abcdef',
  NOTIFY_SECRET: 'dev-notify-secret-change-me',
  GATEWAY_SIGNING_KEYS: 'dev:dev-gateway-signing-key-change-me-0123456789',
} as const;

const gatewayKeys = z
  .string()
  .regex(
    /^\s*[A-Za-z0-9_.-]{1,64}:[^,\s]{32,}\s*(,\s*[A-Za-z0-9_.-]{1,64}:[^,\s]{32,}\s*)*$/,
    'a comma-separated list of keyId:secret, each secret at least 32 characters; the first signs',
  );

const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    HOST: z.string().min(1).default('127.0.0.1'),
    GATEWAY_PORT: port.default(4000),
    CASES_PORT: port.default(4001),
    CHONGQING_PORT: port.default(4002),
    SICHUAN_PORT: port.default(4003),
    WINDOWS_PORT: port.default(4004),
    COURIER_PORT: port.default(4005),
    CASES_URL: optionalUrl,
    CHONGQING_URL: optionalUrl,
    SICHUAN_URL: optionalUrl,
    WINDOWS_URL: optionalUrl,
    COURIER_URL: optionalUrl,
    SUBGRAPH_TIMEOUT_MS: positiveMs.default(5000),
    QUERY_PLAN_CACHE_MIB: z.coerce.number().positive().max(4096).default(30),
    PERSISTED_QUERY_TTL_S: z.coerce.number().int().positive().default(24 * 3600),
    SUPERGRAPH: z.preprocess((value) => (value === '' ? undefined : value), supergraphLocation.default(COMMITTED_SUPERGRAPH)),
    SUPERGRAPH_POLL_MS: z.coerce.number().int().min(0).default(10_000),
    SUPERGRAPH_TIMEOUT_MS: positiveMs.default(10_000),
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only')
      .default('tongban:'),
    PLATFORM_TIMEOUT_MS: positiveMs.default(3000),
    CATALOG_CACHE_MAX_AGE_MS: z.coerce.number().int().min(0).default(5 * 60_000),
    CATALOG_MISS_WAIT_MS: positiveMs.default(1000),
    YUKUAIBAN_BASE_URL: optionalUrl,
    YUKUAIBAN_APP_KEY: z.string().min(1).default('tongban-dev'),
    YUKUAIBAN_APP_SECRET: secret.default(DEV_SECRETS.YUKUAIBAN_APP_SECRET),
    YUKUAIBAN_SANDBOX_PORT: port.default(4101),
    SICHUAN_BASE_URL: optionalUrl,
    SICHUAN_APP_ID: z.string().min(1).default('tongban-dev'),
    SICHUAN_APP_SECRET: secret.default(DEV_SECRETS.SICHUAN_APP_SECRET),
    SICHUAN_SANDBOX_PORT: port.default(4102),
    COURIER_BASE_URL: optionalUrl,
    COURIER_PARTNER_ID: z.string().min(1).default('tongban-dev'),
    COURIER_SECRET: secret.default(DEV_SECRETS.COURIER_SECRET),
    COURIER_SANDBOX_PORT: port.default(4103),
    NOTIFY_BASE_URL: optionalUrl,
    NOTIFY_APP_ID: z.string().min(1).default('tongban-dev'),
    NOTIFY_SECRET: secret.default(DEV_SECRETS.NOTIFY_SECRET),
    NOTIFY_SANDBOX_PORT: port.default(4104),
    SANDBOX_STEP_MS: z.coerce.number().int().min(0).default(3000),
    PLATFORM_POLL_MS: positiveMs.default(60_000),
    COURIER_POLL_MS: positiveMs.default(5 * 60_000),
    ALERT_SWEEP_MS: positiveMs.default(5_000),
    UPLOAD_SWEEP_MS: positiveMs.default(15 * 60_000),
    ARCHIVE_AFTER_DAYS: z.coerce.number().int().positive().default(90),
    CASE_ARCHIVE_MS: positiveMs.default(3600_000),
    WORKER_LOCK_DURATION_MS: positiveMs.default(30_000),
    WORKER_STALLED_INTERVAL_MS: positiveMs.default(30_000),
    GATEWAY_SIGNING_KEYS: gatewayKeys.default(DEV_SECRETS.GATEWAY_SIGNING_KEYS),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_SECRETS.JWT_SECRET),
    JWT_JWKS_URL: optionalUrl,
    /** Production accepts HS256 tokens signed with JWT_SECRET only when told so, and says so at start. */
    JWT_ALLOW_SHARED_SECRET: z.enum(['true', 'false', '']).default('false').transform((value) => value === 'true'),
    JWT_ISSUER: z.string().min(1).default('tongban'),
    JWT_AUDIENCE: z.string().min(1).default('tongban-api'),
    MUTATIONS_PER_MINUTE: z.coerce.number().int().positive().default(120),
    METRICS_HOST: z.preprocess((value) => (value === '' ? undefined : value), z.string().min(1).optional()),
    GATEWAY_METRICS_PORT: z.preprocess((value) => (value === '' ? undefined : value), port.optional()),
    WORKERS_METRICS_PORT: port.default(4010),
    FILES_DIR: z.string().min(1).default('data/files'),
    FILE_STORE: z.enum(['disk', 's3']).default('disk'),
    S3_ENDPOINT: z.preprocess((value) => (value === '' ? undefined : value), z.url({ protocol: /^https?$/ }).optional()),
    S3_BUCKET: z.preprocess(
      (value) => (value === '' ? undefined : value),
      z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens').optional(),
    ),
    S3_REGION: z.string().min(1).default('us-east-1'),
    S3_ACCESS_KEY_ID: optionalString,
    S3_SECRET_ACCESS_KEY: optionalString,
    S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('true').transform((value) => value === 'true'),
    FILE_MAX_BYTES: bytes.default(50 * MIB),
    CASE_FILES_MAX_BYTES: bytes.default(200 * MIB),
    PDF_MAX_PAGES: z.coerce.number().int().positive().default(300),
    UPLOAD_EXPIRY_MS: positiveMs.default(24 * 3600_000),
    UPLOAD_STAGING_DIR: optionalString,
    VERIFY_REQUESTS_PER_MINUTE: z.coerce.number().int().positive().default(30),
    TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
    VERIFY_BASE_URL: optionalUrl,
    CERTIFICATE_FONT_PATH: z.string().min(1).default('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'),
  })
  .superRefine((env, ctx) => {
    if (env.FILE_STORE === 's3' && !env.S3_BUCKET) {
      ctx.addIssue({ code: 'custom', path: ['S3_BUCKET'], message: 'is required with FILE_STORE=s3' });
    }
    if (Boolean(env.S3_ACCESS_KEY_ID) !== Boolean(env.S3_SECRET_ACCESS_KEY)) {
      ctx.addIssue({ code: 'custom', path: ['S3_SECRET_ACCESS_KEY'], message: 'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together (neither: the SDK finds credentials itself)' });
    }
    if (env.CASE_FILES_MAX_BYTES < env.FILE_MAX_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['CASE_FILES_MAX_BYTES'], message: 'must be at least FILE_MAX_BYTES: a case must be able to hold its largest file' });
    }
    if (env.NODE_ENV !== 'production') return;
    for (const [name, devValue] of Object.entries(DEV_SECRETS)) {
      // With an identity provider's keys the HS256 secret signs nothing.
      if (name === 'JWT_SECRET' && env.JWT_JWKS_URL) continue;
      if (String(env[name as keyof typeof DEV_SECRETS]).includes(devValue)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'must be set to a real secret in production' });
      }
    }
    if (/^http:\/\//i.test(env.SUPERGRAPH)) {
      ctx.addIssue({ code: 'custom', path: ['SUPERGRAPH'], message: 'must be a file or an https URL in production: a supergraph fetched in the clear can route requests anywhere' });
    }
    if (env.JWT_JWKS_URL && !env.JWT_JWKS_URL.startsWith('https://')) {
      ctx.addIssue({ code: 'custom', path: ['JWT_JWKS_URL'], message: 'must be an https URL in production: keys fetched in the clear can be swapped' });
    }
    if (!env.JWT_JWKS_URL && !env.JWT_ALLOW_SHARED_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_JWKS_URL'],
        message: "production verifies the identity provider's RS256/ES256 keys: set it, or set JWT_ALLOW_SHARED_SECRET=true to accept HS256 tokens knowingly",
      });
    }
  });

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  host: string;
  /**
   * `verifyPerMinute`: lookups of the public verify page per client address; the
   * address is the TCP peer unless `trustedProxyHops` proxies of the deployment's
   * own stand in front (lib/client-address.ts), as X-Forwarded-For is the client's to forge.
   */
  gateway: {
    port: number;
    subgraphTimeoutMs: number;
    queryPlanCacheMiB: number;
    persistedQueryTtlSeconds: number;
    verifyPerMinute: number;
    trustedProxyHops: number;
    /** Where the supergraph is read (an absolute path or an http(s) URL), how often again (0: never), and the bound of one read. */
    supergraph: { location: string; pollMs: number; timeoutMs: number };
  };
  subgraphs: Record<SubgraphName, { port: number; url: string | undefined }>;
  redis: { url: string | undefined; keyPrefix: string };
  platforms: {
    timeoutMs: number;
    yukuaiban: { baseUrl: string | undefined; appKey: string; appSecret: string; sandboxPort: number };
    sichuan: { baseUrl: string | undefined; appId: string; appSecret: string; sandboxPort: number };
    courier: { baseUrl: string | undefined; partnerId: string; secret: string; sandboxPort: number };
    notify: { baseUrl: string | undefined; appId: string; secret: string; sandboxPort: number };
  };
  /**
   * Items served from a subgraph's memory for at most cacheMaxAgeMs (0: always ask the platform); ops invalidate on change.
   * A request waits missWaitMs for items not held before answering without them (the fetch goes on and is kept).
   */
  catalog: { cacheMaxAgeMs: number; missWaitMs: number };
  sandbox: { stepMs: number };
  /** A job whose worker died is taken up again once its lock (lockDurationMs) lapses and a stalled check runs. */
  /** `archiveAfterDays`: a closed case unchanged this long is archived to the file store by the job run every `caseArchiveMs` (ARCHIVE.md). */
  jobs: {
    platformPollMs: number;
    courierPollMs: number;
    alertSweepMs: number;
    uploadSweepMs: number;
    archiveAfterDays: number;
    caseArchiveMs: number;
    lockDurationMs: number;
    stalledIntervalMs: number;
  };
  auth: { secret: string; jwksUrl: string | undefined; issuer: string; audience: string; mutationsPerMinute: number; allowSharedSecret: boolean };
  /** Keys the gateway signs subgraph requests with (the first) and subgraphs accept (all), so that rotation needs no downtime. */
  gatewayKeys: GatewayKey[];
  /**
   * Where Prometheus scrapes. The gateway serves /metrics on its API port unless
   * `gatewayPort` is set, in which case only a listener on `host` (an internal
   * interface) serves it; the workers always serve it on `host`:`workersPort`.
   */
  metrics: { host: string; gatewayPort: number | undefined; workersPort: number };
  /** Scans and certificates: where they are kept, what is accepted, and how long a half-finished upload may wait. */
  files: {
    store: { kind: 'disk'; directory: string } | ({ kind: 's3' } & S3Settings);
    policy: FilePolicy;
    uploadExpiryMs: number;
    /** Where uploads in progress are staged when not beside the finished files (FILE_STORE=s3 with a local staging directory). */
    uploadStagingDir: string | undefined;
  };
  /** The public origin QR codes point to (`<verifyBaseUrl>/verify/<code>`), and the CJK font certificates are set in. */
  certificates: { verifyBaseUrl: string; fontPath: string };
}

export class ConfigError extends Error {
  readonly code = 'CONFIG.INVALID';

  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(source: Record<string, string | undefined> = readProcessEnv()): Config {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    host: e.HOST,
    gateway: {
      port: e.GATEWAY_PORT,
      subgraphTimeoutMs: e.SUBGRAPH_TIMEOUT_MS,
      queryPlanCacheMiB: e.QUERY_PLAN_CACHE_MIB,
      persistedQueryTtlSeconds: e.PERSISTED_QUERY_TTL_S,
      verifyPerMinute: e.VERIFY_REQUESTS_PER_MINUTE,
      trustedProxyHops: e.TRUSTED_PROXY_HOPS,
      supergraph: {
        location: /^https?:\/\//i.test(e.SUPERGRAPH) ? e.SUPERGRAPH : resolve(e.SUPERGRAPH),
        pollMs: e.SUPERGRAPH_POLL_MS,
        timeoutMs: e.SUPERGRAPH_TIMEOUT_MS,
      },
    },
    subgraphs: {
      cases: { port: e.CASES_PORT, url: e.CASES_URL },
      chongqing: { port: e.CHONGQING_PORT, url: e.CHONGQING_URL },
      sichuan: { port: e.SICHUAN_PORT, url: e.SICHUAN_URL },
      windows: { port: e.WINDOWS_PORT, url: e.WINDOWS_URL },
      courier: { port: e.COURIER_PORT, url: e.COURIER_URL },
    },
    redis: { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX },
    platforms: {
      timeoutMs: e.PLATFORM_TIMEOUT_MS,
      yukuaiban: {
        baseUrl: e.YUKUAIBAN_BASE_URL,
        appKey: e.YUKUAIBAN_APP_KEY,
        appSecret: e.YUKUAIBAN_APP_SECRET,
        sandboxPort: e.YUKUAIBAN_SANDBOX_PORT,
      },
      sichuan: {
        baseUrl: e.SICHUAN_BASE_URL,
        appId: e.SICHUAN_APP_ID,
        appSecret: e.SICHUAN_APP_SECRET,
        sandboxPort: e.SICHUAN_SANDBOX_PORT,
      },
      courier: { baseUrl: e.COURIER_BASE_URL, partnerId: e.COURIER_PARTNER_ID, secret: e.COURIER_SECRET, sandboxPort: e.COURIER_SANDBOX_PORT },
      notify: { baseUrl: e.NOTIFY_BASE_URL, appId: e.NOTIFY_APP_ID, secret: e.NOTIFY_SECRET, sandboxPort: e.NOTIFY_SANDBOX_PORT },
    },
    catalog: { cacheMaxAgeMs: e.CATALOG_CACHE_MAX_AGE_MS, missWaitMs: e.CATALOG_MISS_WAIT_MS },
    sandbox: { stepMs: e.SANDBOX_STEP_MS },
    jobs: {
      platformPollMs: e.PLATFORM_POLL_MS,
      courierPollMs: e.COURIER_POLL_MS,
      alertSweepMs: e.ALERT_SWEEP_MS,
      uploadSweepMs: e.UPLOAD_SWEEP_MS,
      archiveAfterDays: e.ARCHIVE_AFTER_DAYS,
      caseArchiveMs: e.CASE_ARCHIVE_MS,
      lockDurationMs: e.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
    },
    auth: {
      secret: e.JWT_SECRET,
      jwksUrl: e.JWT_JWKS_URL,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      mutationsPerMinute: e.MUTATIONS_PER_MINUTE,
      allowSharedSecret: e.JWT_ALLOW_SHARED_SECRET,
    },
    gatewayKeys: parseGatewayKeys(e.GATEWAY_SIGNING_KEYS),
    metrics: { host: e.METRICS_HOST ?? e.HOST, gatewayPort: e.GATEWAY_METRICS_PORT, workersPort: e.WORKERS_METRICS_PORT },
    files: {
      store:
        e.FILE_STORE === 's3'
          ? {
              kind: 's3',
              endpoint: e.S3_ENDPOINT,
              bucket: e.S3_BUCKET ?? '',
              region: e.S3_REGION,
              accessKeyId: e.S3_ACCESS_KEY_ID,
              secretAccessKey: e.S3_SECRET_ACCESS_KEY,
              forcePathStyle: e.S3_FORCE_PATH_STYLE,
            }
          : { kind: 'disk', directory: e.FILES_DIR },
      policy: { maxFileBytes: e.FILE_MAX_BYTES, caseMaxBytes: e.CASE_FILES_MAX_BYTES, pdfMaxPages: e.PDF_MAX_PAGES },
      uploadExpiryMs: e.UPLOAD_EXPIRY_MS,
      uploadStagingDir: e.UPLOAD_STAGING_DIR,
    },
    certificates: { verifyBaseUrl: e.VERIFY_BASE_URL ?? `http://${e.HOST}:${e.GATEWAY_PORT}`, fontPath: e.CERTIFICATE_FONT_PATH },
  };
}

/** `.env` in the working directory, if present, fills in what the real environment leaves unset. */
function readProcessEnv(): Record<string, string | undefined> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  return process.env;
}
