import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger } from 'pino';

export type { Logger };

interface RequestScope {
  requestId: string;
}

const scope = new AsyncLocalStorage<RequestScope>();

/** Runs `fn` with a request id that every log line and outgoing call inside it carries. */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return scope.run({ requestId }, fn);
}

export function currentRequestId(): string | undefined {
  return scope.getStore()?.requestId;
}

/**
 * JSON logs on stdout. Secrets and personal data must never reach a log line, so
 * the usual carriers are redacted whatever code logs them.
 */
export function createLogger(options: { level: string; service: string }, destination?: pino.DestinationStream): Logger {
  const settings: pino.LoggerOptions = {
    level: options.level,
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => {
      const requestId = currentRequestId();
      return requestId ? { requestId } : {};
    },
    // The paths below are pino's fast path; scrub() finds the same names at any depth and tokens inside URLs.
    formatters: { log: (object) => scrub(object, 0) as Record<string, unknown> },
    redact: {
      paths: [
        'authorization',
        'headers.authorization',
        'req.headers.authorization',
        '*.authorization',
        '*.token',
        '*.appSecret',
        '*.secret',
        '*.password',
        '*.idNumber',
        '*.phone',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(settings, destination) : pino(settings);
}

const SECRET_KEYS = new Set([
  'authorization',
  'cookie',
  'set-cookie',
  'token',
  'appsecret',
  'secret',
  'password',
  'idnumber',
  'phone',
  'x-tongban-gateway-signature',
]);
/** A token or signature in a query string (`/ops/login?token=…`, a signed platform URL). */
const URL_SECRET = /([?&;](?:token|access_token|sign|signature|secret)=)[^&#\s"']+/gi;
const MAX_DEPTH = 8;

function scrub(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.includes('=') ? value.replace(URL_SECRET, '$1[redacted]') : value;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  if (value instanceof Error) {
    const copy: Record<string, unknown> = { type: value.name, message: scrub(value.message, depth + 1), stack: scrub(value.stack, depth + 1) };
    for (const [key, inner] of Object.entries(value)) copy[key] = SECRET_KEYS.has(key.toLowerCase()) ? '[redacted]' : scrub(inner, depth + 1);
    if (value.cause !== undefined) copy.cause = scrub(value.cause, depth + 1);
    return copy;
  }
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) copy[key] = SECRET_KEYS.has(key.toLowerCase()) ? '[redacted]' : scrub(inner, depth + 1);
  return copy;
}
