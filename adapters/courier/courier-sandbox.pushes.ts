/**
 * The courier sandbox's tracking pushes: one per move, delivered in seq order per waybill with
 * retries, every attempt logged; replays of a past push and crafted pushes (forged, stale,
 * replayed) for the tests of the receiving side.
 */
import { InputError, NotFoundError } from '../../domain/errors.js';
import { createPushDeliveries, delivered, errorText, type PushRetries } from '../sandbox-push.kit.js';
import type { SandboxRuntime } from '../sandbox.kit.js';
import { newCourierNonce } from './courier.signature.js';
import type { CourierPush, CourierStateCode, CourierTrace, CourierWaybill } from './courier.wire.js';
import { signedPushHeaders, type PushSigning } from './courier-sandbox.signing.js';

export interface PushDelivery {
  pushId: string;
  waybillNo: string;
  seq: number;
  stateCode: CourierStateCode;
  /** EVENT: pushed because the waybill changed state; REPLAY: re-sent by replayPush(). */
  kind: 'EVENT' | 'REPLAY';
  attempt: number;
  at: string;
  outcome: 'DELIVERED' | 'FAILED' | 'GAVE_UP';
  nonce?: string;
  status?: number;
  error?: string;
}

export interface CraftedPushOptions {
  /** Sign with this secret instead of the sandbox's: a forged push. */
  signWith?: string;
  /** Unix ms for the timestamp header (default now): a stale push. */
  timestamp?: number;
  /** Reuse a nonce: a replayed push. */
  nonce?: string;
}

export interface CourierPushOptions {
  pushUrl?: string;
  partnerId: string;
  secret: string;
  instance: string;
  now: () => number;
  retries: PushRetries;
}

export function createCourierPushes(opts: CourierPushOptions, rt: Pick<SandboxRuntime, 'isClosed' | 'pause'>) {
  const { now } = opts;
  const deliveries = createPushDeliveries(rt, opts.retries);
  const pushesById = new Map<string, CourierPush>();
  const log: PushDelivery[] = [];
  let pushSeq = 0;

  const post = (body: string, signing: PushSigning) => deliveries.post(opts.pushUrl!, body, signedPushHeaders(opts.partnerId, body, signing));

  async function attemptPush(push: CourierPush, kind: PushDelivery['kind'], attempt: number): Promise<PushDelivery> {
    const nonce = newCourierNonce();
    const { pushId, waybillNo, seq, stateCode } = push;
    const entry = (extra: Partial<PushDelivery>): PushDelivery => {
      const logged: PushDelivery = { pushId, waybillNo, seq, stateCode, kind, attempt, at: new Date(now()).toISOString(), outcome: 'FAILED', nonce, ...extra };
      log.push(logged);
      return logged;
    };
    try {
      // Each attempt is signed afresh: a receiver that already claimed an earlier nonce must still accept it.
      const status = await post(JSON.stringify(push), { secret: opts.secret, timestamp: now(), nonce });
      return entry({ status, outcome: delivered(status) ? 'DELIVERED' : 'FAILED' });
    } catch (error) {
      return entry({ error: errorText(error) });
    }
  }

  async function deliverWithRetries(push: CourierPush): Promise<void> {
    const result = await deliveries.withRetries(async (attempt) => (await attemptPush(push, 'EVENT', attempt)).outcome === 'DELIVERED');
    if (result !== 'GAVE_UP') return;
    const { pushId, waybillNo, seq, stateCode } = push;
    log.push({ pushId, waybillNo, seq, stateCode, kind: 'EVENT', attempt: opts.retries.attempts, at: new Date(now()).toISOString(), outcome: 'GAVE_UP' });
  }

  function requirePushUrl(): void {
    if (!opts.pushUrl) throw new InputError('SANDBOX.NO_PUSH_URL', '政务专递沙箱未配置推送地址 pushUrl');
  }

  return {
    /** Queues the push of a move; resolves when it is delivered or given up. */
    queue(wire: CourierWaybill, trace: CourierTrace): Promise<void> {
      if (!opts.pushUrl) return Promise.resolve();
      pushSeq += 1;
      const push: CourierPush = { pushId: `P${opts.instance}${String(pushSeq).padStart(10, '0')}`, waybillNo: wire.waybillNo, businessNo: wire.businessNo, ...trace };
      pushesById.set(push.pushId, push);
      return deliveries.enqueue(wire.waybillNo, () => deliverWithRetries(push));
    },
    pushes: () => log.map((entry) => ({ ...entry })),
    settled: deliveries.settled,
    async replay(pushId: string): Promise<PushDelivery> {
      requirePushUrl();
      const push = pushesById.get(pushId);
      if (!push) throw new NotFoundError('SANDBOX.PUSH_NOT_FOUND', `政务专递沙箱没有推送 ${pushId}`);
      return deliveries.track(attemptPush(push, 'REPLAY', 1));
    },
    async send(raw: object | string, crafted: CraftedPushOptions = {}): Promise<{ status: number; nonce: string; timestamp: number }> {
      requirePushUrl();
      const body = typeof raw === 'string' ? raw : JSON.stringify(raw);
      const timestamp = crafted.timestamp ?? now();
      const nonce = crafted.nonce ?? newCourierNonce();
      const status = await deliveries.track(post(body, { secret: crafted.signWith ?? opts.secret, timestamp, nonce }));
      return { status, nonce, timestamp };
    },
    close: deliveries.close,
  };
}
