/**
 * The courier sandbox's records: waybills in the courier's wire format, idempotent ordering,
 * tracking, cancellation before collection, and the state progression 已下单 → 揽收 → 在途 →
 * 派件 → 签收 (异常 resumes 在途) — on `advance()` or, with `stepMs`, on a timer. Each move is
 * handed to `onMove`, which pushes it.
 */
import { InputError, NotFoundError } from '../../domain/errors.js';
import { envelopeReply, type EnvelopeReply } from '../sandbox.kit.js';
import { canonicalJson } from '../wire.kit.js';
import { STATE_CODES } from './courier.mapper.js';
import type { WaybillState } from './courier.port.js';
import { COURIER_HEADER } from './courier.signature.js';
import {
  COURIER_CODE,
  COURIER_MAX_TRACK,
  COURIER_STATES,
  courierCancelRequestSchema,
  courierCreateSchema,
  courierTrackRequestSchema,
  describeIssues,
  formatCourierTime,
  IDEMPOTENCY_KEY,
  type CourierCreate,
  type CourierEnvelope,
  type CourierStateCode,
  type CourierTrace,
  type CourierWaybill,
  type CourierWireParty,
} from './courier.wire.js';

export type Reply = EnvelopeReply<CourierEnvelope>;

export const ok = (result: unknown, status = 200): Reply => envelopeReply(status, { success: true, result });

export const fail = (status: number, errorCode: string, errorMsg: string, headers?: Record<string, string>): Reply =>
  envelopeReply(status, { success: false, errorCode, errorMsg }, headers);

interface StoredWaybill {
  wire: CourierWaybill;
  order: CourierCreate;
}

const NEXT_STATE: Partial<Record<CourierStateCode, CourierStateCode>> = {
  '0': '10',
  '10': '20',
  '20': '30',
  '30': '40',
  '60': '20',
};

const FINAL_STATES: ReadonlySet<CourierStateCode> = new Set(['40', '50', '90']);

export const STATE_REMARKS: Record<CourierStateCode, string> = {
  '0': '已下单，等待揽收',
  '10': '已揽收',
  '20': '运输中',
  '30': '派件中',
  '40': '已签收',
  '50': '已退回寄件人',
  '60': '投递异常，待处理',
  '90': '订单已取消',
};

const PROVINCES: Record<string, string> = { '50': '重庆市', '51': '四川省' };

function province(divisionCode: string): string {
  return PROVINCES[divisionCode.slice(0, 2)] ?? `区划${divisionCode.slice(0, 2)}0000`;
}

function outlet(party: CourierWireParty): string {
  return `${province(party.divisionCode)}（${party.divisionCode}）揽投部`;
}

const ORDER_PLACE = '网上下单';

function placeOf(state: CourierStateCode, stored: StoredWaybill): string {
  const { sender, receiver } = stored.order;
  switch (state) {
    case '0':
    case '90':
      return ORDER_PLACE;
    case '10':
    case '50':
      return outlet(sender);
    case '20':
      return `${province(sender.divisionCode)}邮件处理中心`;
    case '30':
      return outlet(receiver);
    case '40':
      return receiver.address;
    case '60':
      return stored.wire.traces.at(-1)!.place;
  }
}

export interface CourierStateOptions {
  /** Sets this sandbox's waybill numbers apart from another instance's. */
  instance: string;
  now: () => number;
  stepMs?: number;
  isClosed: () => boolean;
  /** Called once a waybill moved; resolves when its push is delivered or given up. */
  onMove(wire: CourierWaybill, trace: CourierTrace): Promise<void>;
}

export interface CourierState {
  createWaybill(idempotencyKey: string | string[] | undefined, json: unknown): Reply;
  trackWaybills(json: unknown): Reply;
  cancelWaybill(pathNo: string, json: unknown): Reply;
  advance(waybillNo?: string, to?: WaybillState): Promise<CourierWaybill[]>;
  waybills(): CourierWaybill[];
  /** Stops the step timers. */
  close(): void;
}

export function createCourierState(opts: CourierStateOptions): CourierState {
  const { now } = opts;
  let waybillSeq = 0;
  const waybills = new Map<string, StoredWaybill>();
  const byIdempotencyKey = new Map<string, { body: string; waybillNo: string }>();
  const stepTimers = new Map<string, NodeJS.Timeout>();

  function scheduleStep(stored: StoredWaybill): void {
    const { waybillNo, stateCode } = stored.wire;
    clearTimeout(stepTimers.get(waybillNo));
    stepTimers.delete(waybillNo);
    if (!opts.stepMs || opts.isClosed() || NEXT_STATE[stateCode] === undefined) return;
    const timer = setTimeout(() => {
      stepTimers.delete(waybillNo);
      void move(stored, NEXT_STATE[stored.wire.stateCode]!);
    }, opts.stepMs);
    timer.unref();
    stepTimers.set(waybillNo, timer);
  }

  /** Why the waybill cannot move to `to` from where it is, or null when it can. */
  function refusal(stored: StoredWaybill, to: CourierStateCode): string | null {
    const from = stored.wire.stateCode;
    if (FINAL_STATES.has(from)) return `运单 ${stored.wire.waybillNo} 已是终态 ${COURIER_STATES[from]}`;
    if (to === from || to === '0') return `运单 ${stored.wire.waybillNo} 不能从 ${COURIER_STATES[from]} 变为 ${COURIER_STATES[to]}`;
    if (to === '90' && from !== '0') return `运单 ${stored.wire.waybillNo} 已揽收，不能取消`;
    return null;
  }

  /** Records the new state as the next trace and hands it on; resolves when its push is delivered or given up. */
  function move(stored: StoredWaybill, to: CourierStateCode): Promise<void> {
    const { wire } = stored;
    const trace = { seq: wire.traces.at(-1)!.seq + 1, stateCode: to, time: formatCourierTime(now()), place: placeOf(to, stored), remark: STATE_REMARKS[to] };
    wire.traces.push(trace);
    wire.stateCode = to;
    scheduleStep(stored);
    return opts.onMove(wire, trace);
  }

  return {
    createWaybill(key, json) {
      if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) return fail(400, COURIER_CODE.paramError, `缺少或无效的 ${COURIER_HEADER.idempotencyKey}`);
      const parsed = courierCreateSchema.safeParse(json);
      if (!parsed.success) return fail(400, COURIER_CODE.paramError, `参数错误：${describeIssues(parsed.error)}`);
      const body = canonicalJson(json);
      const earlier = byIdempotencyKey.get(key);
      if (earlier) {
        if (earlier.body !== body) return fail(409, COURIER_CODE.idempotencyConflict, '幂等键已用于另一请求');
        return ok(structuredClone(waybills.get(earlier.waybillNo)!.wire));
      }
      waybillSeq += 1;
      const waybillNo = `1${opts.instance}${String(waybillSeq).padStart(9, '0')}`;
      const time = formatCourierTime(now());
      const { businessNo, bizType, feePayer } = parsed.data;
      const traces = [{ seq: 1, stateCode: '0' as const, time, place: ORDER_PLACE, remark: STATE_REMARKS['0'] }];
      const stored: StoredWaybill = { order: parsed.data, wire: { waybillNo, businessNo, bizType, feePayer, stateCode: '0', createTime: time, traces } };
      waybills.set(waybillNo, stored);
      byIdempotencyKey.set(key, { body, waybillNo });
      scheduleStep(stored);
      return ok(structuredClone(stored.wire), 201);
    },
    trackWaybills(json) {
      const request = courierTrackRequestSchema.safeParse(json);
      if (!request.success) return fail(400, COURIER_CODE.paramError, `参数错误：${describeIssues(request.error)}`);
      const nos = request.data.waybillNos;
      if (nos.length > COURIER_MAX_TRACK) return fail(400, COURIER_CODE.batchTooLarge, `单次最多查询 ${COURIER_MAX_TRACK} 个运单`);
      const found = [...new Set(nos)].flatMap((no) => {
        const stored = waybills.get(no);
        return stored ? [structuredClone(stored.wire)] : [];
      });
      return ok({ waybills: found });
    },
    /** Cancelling a cancelled waybill answers it again, so a caller that lost the first answer may repeat. */
    cancelWaybill(pathNo, json) {
      const request = courierCancelRequestSchema.safeParse(json);
      if (!request.success) return fail(400, COURIER_CODE.paramError, `参数错误：${describeIssues(request.error)}`);
      if (request.data.waybillNo !== pathNo) return fail(400, COURIER_CODE.paramError, '请求体中的运单号与路径不一致');
      const stored = waybills.get(pathNo);
      if (!stored) return fail(200, COURIER_CODE.waybillNotFound, `运单不存在：${pathNo}`);
      if (stored.wire.stateCode === '90') return ok(structuredClone(stored.wire));
      if (stored.wire.stateCode !== '0') {
        return fail(200, COURIER_CODE.cancelNotAllowed, `运单当前状态为「${STATE_REMARKS[stored.wire.stateCode]}」，只能在揽收前取消`);
      }
      void move(stored, '90');
      return ok(structuredClone(stored.wire));
    },
    async advance(waybillNo, to) {
      if (to !== undefined && !Object.hasOwn(STATE_CODES, to)) throw new InputError('SANDBOX.UNKNOWN_STATE', `政务专递沙箱没有状态 ${to}`);
      const target = to === undefined ? undefined : STATE_CODES[to];
      let chosen: StoredWaybill[];
      if (waybillNo === undefined) {
        chosen = [...waybills.values()];
      } else {
        const stored = waybills.get(waybillNo);
        if (!stored) throw new NotFoundError('SANDBOX.WAYBILL_NOT_FOUND', `政务专递沙箱没有运单 ${waybillNo}`);
        const reason = target === undefined ? null : refusal(stored, target);
        if (reason) throw new InputError('SANDBOX.INVALID_TRANSITION', reason);
        chosen = [stored];
      }
      const moves = chosen.flatMap((stored) => {
        const next = target ?? NEXT_STATE[stored.wire.stateCode];
        if (next === undefined || refusal(stored, next)) return [];
        const delivered = move(stored, next);
        // Taken now: with stepMs the waybill may move on while its push is being delivered.
        return [{ moved: structuredClone(stored.wire), delivered }];
      });
      await Promise.all(moves.map((entry) => entry.delivered));
      return moves.map((entry) => entry.moved);
    },
    waybills: () => [...waybills.values()].map((stored) => structuredClone(stored.wire)),
    close() {
      for (const timer of stepTimers.values()) clearTimeout(timer);
      stepTimers.clear();
    },
  };
}
