/**
 * The 四川 sandbox's request pipeline and its faults (drawn in sandbox-faults.kit, timeout
 * last): 404 for an unknown path, 405 for another method, 413 beyond the size limit, then
 * 429 with Retry-After, bare 500 or 503, a hang, or the answer — truncated when malformed.
 * Its refusals are bare JSON, not the platform's envelope, as a gateway in front would send.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { drawFault } from '../sandbox-faults.kit.js';
import { readBody, sendJsonReply, type SandboxFaults, type SandboxRuntime } from '../sandbox.kit.js';
import { SICHUAN_ENDPOINTS, type SichuanEndpoint } from './sichuan.contract.js';

export type SichuanSandboxFaults = SandboxFaults;

const MAX_REQUEST_BYTES = 1024 * 1024;
const ENDPOINTS = new Set<string>(Object.values(SICHUAN_ENDPOINTS));

const refuse = (res: ServerResponse, status: number, error: string, headers?: Record<string, string>) =>
  sendJsonReply(res, { status, body: { error }, ...(headers ? { headers } : {}) });

export async function serveSichuanRequest(
  req: IncomingMessage,
  res: ServerResponse,
  rt: SandboxRuntime,
  answer: (endpoint: SichuanEndpoint, raw: string) => string,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
  if (!ENDPOINTS.has(path)) return refuse(res, 404, 'not found');
  if (req.method !== 'POST') return refuse(res, 405, 'method not allowed');
  const endpoint = path as SichuanEndpoint;
  rt.count(endpoint);

  const raw = (await readBody(req, MAX_REQUEST_BYTES))?.toString('utf8') ?? null;
  if (raw === null) return refuse(res, 413, 'request too large');

  const fault = await drawFault(rt.faults(), { ...rt, timeoutLast: true });
  if (fault.kind === 'hang') return;
  if (fault.kind === 'rateLimited') return refuse(res, 429, 'too many requests', { 'retry-after': fault.retryAfter });
  if (fault.kind === 'error') return refuse(res, fault.status, 'injected failure');

  const text = answer(endpoint, raw);
  if (res.destroyed) return;
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(fault.truncate ? text.slice(0, Math.floor(text.length / 2)) : text);
}

export function zeroCounts(): Record<SichuanEndpoint, number> {
  return Object.fromEntries(Object.values(SICHUAN_ENDPOINTS).map((endpoint) => [endpoint, 0])) as Record<SichuanEndpoint, number>;
}
