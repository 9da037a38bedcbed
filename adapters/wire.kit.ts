/**
 * Wire-format helpers shared by the adapters: how zod issues are worded in messages, the
 * idempotency-key format, and a key-order-independent JSON form for comparing two bodies by content.
 */
import type { z } from 'zod';

/** `path: message; path: message` for the first `max` issues (`(root)` for an empty path). */
export function describeZodIssues(error: z.ZodError, max = 5, separator = ': '): string {
  return error.issues
    .slice(0, max)
    .map((issue) => `${issue.path.join('.') || '(root)'}${separator}${issue.message}`)
    .join('; ');
}

/** An idempotency key (or request id) as the platforms accept it: 1–128 visible ASCII characters, since it travels in a header. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

/**
 * JSON with object keys sorted (and, as JSON.stringify does, undefined properties left out),
 * so that two bodies compare by content, not key order — e.g. whether a resubmission under
 * the same idempotency key is "the same body".
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
