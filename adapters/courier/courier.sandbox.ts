/**
 * A stand-in for the 政务专递 courier that speaks CONTRACT.md over real HTTP: signed requests,
 * idempotent ordering, tracking, cancellation before collection, state progression, signed
 * tracking pushes with retries, and injectable faults. Development and integration tests run
 * against it; nothing in it is for production.
 *
 * Determinism: faults draw from a seeded PRNG and waybills move only on `advance()` unless
 * `stepMs` is set, so a test sees the same behaviour on every run.
 *
 * This file wires the routes; the records are in courier-sandbox.state.ts, the signatures in
 * courier-sandbox.signing.ts, the pushes in courier-sandbox.pushes.ts and the fault replies in
 * courier-sandbox.faults.ts.
 */
import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parseJsonBody, sandboxListener } from '../sandbox-faults.kit.js';
import { pushRetries } from '../sandbox-push.kit.js';
import { sandboxRuntime, serveSandbox, type Sandbox, type SandboxOptions } from '../sandbox-server.kit.js';
import type { WaybillState } from './courier.port.js';
import { COURIER_HEADER, COURIER_TIMESTAMP_TOLERANCE_MS } from './courier.signature.js';
import { COURIER_CODE, type CourierWaybill } from './courier.wire.js';
import { courierFaultHandling } from './courier-sandbox.faults.js';
import { createCourierPushes, type CraftedPushOptions, type PushDelivery } from './courier-sandbox.pushes.js';
import { courierAuthenticator } from './courier-sandbox.signing.js';
import { createCourierState, fail, type Reply } from './courier-sandbox.state.js';

export interface CourierSandboxOptions extends SandboxOptions {
  partnerId: string;
  secret: string;
  /** Where tracking events are pushed; no pushes without it. */
  pushUrl?: string;
  /** Delivery attempts per push before giving up (default 4). */
  pushAttempts?: number;
  /** Wait before the second attempt; doubles after each failure (default 200 ms). */
  pushRetryDelayMs?: number;
  pushTimeoutMs?: number;
  /** Each open waybill moves one step every stepMs; 0 or absent: only `advance()` moves waybills. */
  stepMs?: number;
  toleranceMs?: number;
}

export interface CourierSandbox extends Sandbox {
  /**
   * Moves one waybill — or every open one — one step along 已下单 → 揽收 → 在途 → 派件 → 签收
   * (异常 resumes 在途), or to `to`. Resolves once the pushes it caused are delivered or
   * given up, with the waybills that moved. Throws for an unknown waybill or a `to` the
   * waybill cannot reach from where it is.
   */
  advance(waybillNo?: string, to?: WaybillState): Promise<CourierWaybill[]>;
  /** The courier's own records, in its wire format, oldest first. */
  waybills(): CourierWaybill[];
  /** Every delivery attempt of every push, in the order they finished. */
  pushes(): PushDelivery[];
  /** Resolves when every push queued so far was delivered or given up (cancellation and stepMs push on their own). */
  pushesSettled(): Promise<void>;
  /** Sends a past push again, unchanged but signed afresh (new nonce and timestamp): a duplicate delivery. */
  replayPush(pushId: string): Promise<PushDelivery>;
  /** Sends anything to the push URL, signed as told, once; for forged, stale, replayed or out-of-order pushes. */
  sendPush(raw: object | string, opts?: CraftedPushOptions): Promise<{ status: number; nonce: string; timestamp: number }>;
}

type Endpoint = 'POST /v1/waybills' | 'POST /v1/waybills/track' | 'POST /v1/waybills/{no}/cancel';

function matchRoute(method: string, pathname: string): { endpoint: Endpoint; waybillNo?: string } | null {
  if (method !== 'POST') return null;
  if (pathname === '/v1/waybills') return { endpoint: 'POST /v1/waybills' };
  if (pathname === '/v1/waybills/track') return { endpoint: 'POST /v1/waybills/track' };
  const cancel = /^\/v1\/waybills\/([^/]+)\/cancel$/.exec(pathname);
  if (cancel) return { endpoint: 'POST /v1/waybills/{no}/cancel', waybillNo: decodeURIComponent(cancel[1]!) };
  return null;
}

export async function startCourierSandbox(opts: CourierSandboxOptions): Promise<CourierSandbox> {
  const now = opts.now ?? Date.now;
  const rt = sandboxRuntime(opts, 20230301);
  // Waybill numbers differ between sandbox instances, so a long-lived gateway never confuses two runs' shipments.
  const instance = String(randomInt(1000)).padStart(3, '0');
  const authenticate = courierAuthenticator({ ...opts, now, toleranceMs: opts.toleranceMs ?? COURIER_TIMESTAMP_TOLERANCE_MS });
  const retries = pushRetries({ attempts: opts.pushAttempts, retryDelayMs: opts.pushRetryDelayMs, timeoutMs: opts.pushTimeoutMs });
  const pushes = createCourierPushes({ ...opts, instance, now, retries }, rt);
  const state = createCourierState({ instance, now, stepMs: opts.stepMs, isClosed: rt.isClosed, onMove: pushes.queue });

  function route(req: IncomingMessage, raw: Buffer, matched: { endpoint: Endpoint; waybillNo?: string }): Reply {
    const refused = authenticate(req, raw);
    if (refused) return refused;
    const parsed = parseJsonBody(raw, () => fail(400, COURIER_CODE.paramError, '请求体不是合法 JSON'));
    if (!('json' in parsed)) return parsed;
    if (matched.endpoint === 'POST /v1/waybills') return state.createWaybill(req.headers[COURIER_HEADER.idempotencyKey], parsed.json);
    if (matched.endpoint === 'POST /v1/waybills/track') return state.trackWaybills(parsed.json);
    return state.cancelWaybill(matched.waybillNo!, parsed.json);
  }

  const listener = sandboxListener(rt, { ...courierFaultHandling, match: matchRoute, route: (req, _url, raw, matched) => route(req, raw, matched) });
  const sandbox = await serveSandbox(rt, listener, opts, () => {
    state.close();
    return pushes.close();
  });

  return {
    ...sandbox,
    advance: state.advance,
    waybills: state.waybills,
    pushes: pushes.pushes,
    pushesSettled: pushes.settled,
    replayPush: pushes.replay,
    sendPush: pushes.send,
  };
}

// Re-exported so that importers keep the sandbox file as their one entry point.
export type { CourierSandboxFaults } from './courier-sandbox.faults.js';
export type { CraftedPushOptions, PushDelivery } from './courier-sandbox.pushes.js';
