/**
 * Wire-format helpers shared by the adapters: how zod issues are worded in messages, and a
 * key-order-independent JSON form for comparing two bodies by content.
 */
import type { z } from 'zod';

/** `path: message; path: message` for the first `max` issues (`(root)` for an empty path). */
export function describeZodIssues(error: z.ZodError, max = 5, separator = ': '): string {
  return error.issues
    .slice(0, max)
    .map((issue) => `${issue.path.join('.') || '(root)'}${separator}${issue.message}`)
    .join('; ');
}

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
