/**
 * Courier wire format (CONTRACT.md §1, §3–§7): paths, code tables, the time format and the
 * schemas both sides validate against. Everything courier-shaped lives here; the rest of the
 * system sees only courier.port.ts.
 */
import { z } from 'zod';
import { describeZodIssues } from '../wire.kit.js';
import type { CostBearer, WaybillPurpose, WaybillState } from './courier.port.js';

export const COURIER_API = {
  waybills: '/v1/waybills',
  track: '/v1/waybills/track',
  /** `/v1/waybills/{waybillNo}/cancel` */
  cancel: (waybillNo: string) => `/v1/waybills/${encodeURIComponent(waybillNo)}/cancel`,
} as const;

export const COURIER_MAX_TRACK = 50;

/** Domestic waybill number: 13 digits, first 1, 8 or 9. */
export const WAYBILL_NO = /^[189]\d{12}$/;

export { IDEMPOTENCY_KEY } from '../wire.kit.js';

/** Error codes (CONTRACT.md §4). */
export const COURIER_CODE = {
  paramError: 'PARAM_ERROR',
  batchTooLarge: 'BATCH_TOO_LARGE',
  bodyTooLarge: 'BODY_TOO_LARGE',
  signError: 'SIGN_ERROR',
  timestampExpired: 'TIMESTAMP_EXPIRED',
  nonceReplayed: 'NONCE_REPLAYED',
  partnerUnknown: 'PARTNER_UNKNOWN',
  notFound: 'NOT_FOUND',
  idempotencyConflict: 'IDEMPOTENCY_CONFLICT',
  waybillNotFound: 'WAYBILL_NOT_FOUND',
  cancelNotAllowed: 'CANCEL_NOT_ALLOWED',
  rateLimited: 'RATE_LIMITED',
  systemError: 'SYSTEM_ERROR',
  systemBusy: 'SYSTEM_BUSY',
} as const;

/** Codes that mean the courier is failing, whichever HTTP status carried them. */
export const COURIER_UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  COURIER_CODE.rateLimited,
  COURIER_CODE.systemError,
  COURIER_CODE.systemBusy,
]);

export const COURIER_STATES = {
  '0': 'ORDERED',
  '10': 'COLLECTED',
  '20': 'IN_TRANSIT',
  '30': 'OUT_FOR_DELIVERY',
  '40': 'DELIVERED',
  '50': 'RETURNED',
  '60': 'EXCEPTION',
  '90': 'CANCELLED',
} as const satisfies Record<string, WaybillState>;
export type CourierStateCode = keyof typeof COURIER_STATES;

export const COURIER_BIZ_TYPES = { '01': 'MATERIALS', '02': 'RESULT' } as const satisfies Record<string, WaybillPurpose>;
export type CourierBizTypeCode = keyof typeof COURIER_BIZ_TYPES;

export const COURIER_FEE_PAYERS = { '1': 'JURISDICTION', '2': 'SENDER', '3': 'APPLICANT' } as const satisfies Record<string, CostBearer>;
export type CourierFeePayerCode = keyof typeof COURIER_FEE_PAYERS;

function codesOf<K extends string>(table: Record<K, unknown>): [K, ...K[]] {
  return Object.keys(table) as [K, ...K[]];
}

export function inverse<K extends string, V extends string>(table: Record<K, V>): Record<V, K> {
  return Object.fromEntries(Object.entries(table).map(([code, value]) => [value, code])) as Record<V, K>;
}

/** China has observed no daylight saving time since 1991, so the courier's offset is a constant. */
const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;
const COURIER_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** "yyyy-MM-dd HH:mm:ss", Beijing time, no zone designator. */
export function formatCourierTime(millis: number): string {
  const d = new Date(millis + BEIJING_OFFSET_MS);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

export function parseCourierTime(value: string): number | null {
  const match = COURIER_TIME.exec(value);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const millis = Date.UTC(year, month - 1, day, hour, minute, second) - BEIJING_OFFSET_MS;
  // Date.UTC rolls 2024-02-30 over into March; a value that does not survive the round trip is not a date.
  return formatCourierTime(millis) === value ? millis : null;
}

/** The port keeps the courier's wall clock: `2024-05-01 09:30:00` → `2024-05-01T09:30:00+08:00`. */
export function courierTimeToIso(value: string): string {
  return `${value.replace(' ', 'T')}+08:00`;
}

const text = (max: number) => z.string().trim().min(1).max(max);
const courierTime = z.string().refine((value) => parseCourierTime(value) !== null, 'expected yyyy-MM-dd HH:mm:ss (Beijing time)');
const waybillNo = z.string().regex(WAYBILL_NO, 'expected a domestic waybill number ^[189]\\d{12}$');
const stateCode = z.enum(codesOf(COURIER_STATES));
const seq = z.number().int().min(1).max(9999);

export const courierEnvelopeSchema = z.discriminatedUnion('success', [
  z.object({ success: z.literal(true), result: z.unknown() }),
  z.object({
    success: z.literal(false),
    errorCode: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/),
    errorMsg: z.string().max(1000).optional(),
    result: z.unknown().optional(),
  }),
]);
export type CourierEnvelope = z.infer<typeof courierEnvelopeSchema>;

export const courierPartySchema = z.object({
  name: text(50),
  phone: z.string().regex(/^(1\d{10}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$/, 'expected a mobile number or an area code and landline number'),
  address: text(200),
  postCode: z.string().regex(/^\d{6}$/),
  divisionCode: z.string().regex(/^\d{6}$/),
});
export type CourierWireParty = z.infer<typeof courierPartySchema>;

export const courierCreateSchema = z.object({
  businessNo: text(64),
  bizType: z.enum(codesOf(COURIER_BIZ_TYPES)),
  feePayer: z.enum(codesOf(COURIER_FEE_PAYERS)),
  sender: courierPartySchema,
  receiver: courierPartySchema,
  cargos: z.array(z.object({ name: text(100) })).min(1).max(50),
  remark: text(200).optional(),
});
export type CourierCreate = z.infer<typeof courierCreateSchema>;

export const courierTraceSchema = z.object({
  seq,
  stateCode,
  time: courierTime,
  place: text(200),
  remark: z.string().max(500).optional(),
});
export type CourierTrace = z.infer<typeof courierTraceSchema>;

export const courierWaybillSchema = z
  .object({
    waybillNo,
    businessNo: text(64),
    bizType: z.enum(codesOf(COURIER_BIZ_TYPES)),
    feePayer: z.enum(codesOf(COURIER_FEE_PAYERS)),
    stateCode,
    createTime: courierTime,
    traces: z.array(courierTraceSchema).min(1).max(200),
  })
  // Zod runs this even after a continuable issue such as an empty list, hence no assumption that a last trace exists.
  .superRefine((waybill, ctx) => {
    if (waybill.traces.some((trace, i) => i > 0 && trace.seq <= waybill.traces[i - 1]!.seq)) {
      ctx.addIssue({ code: 'custom', path: ['traces'], message: 'traces must be in strictly increasing seq order' });
    }
    const last = waybill.traces.at(-1);
    if (last && last.stateCode !== waybill.stateCode) {
      ctx.addIssue({ code: 'custom', path: ['stateCode'], message: 'stateCode differs from the last trace' });
    }
  });
export type CourierWaybill = z.infer<typeof courierWaybillSchema>;

export const courierTrackRequestSchema = z.object({ waybillNos: z.array(z.string().min(1).max(32)).min(1) });
export const courierTrackResultSchema = z.object({ waybills: z.array(courierWaybillSchema) });

export const courierCancelRequestSchema = z.object({ waybillNo });

export const courierPushSchema = z.object({
  pushId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  waybillNo,
  businessNo: text(64),
  seq,
  stateCode,
  time: courierTime,
  place: text(200),
  remark: z.string().max(500).optional(),
});
export type CourierPush = z.infer<typeof courierPushSchema>;

/** First few problems of a failed parse, for error messages and 400 bodies. */
export function describeIssues(error: z.ZodError): string {
  return describeZodIssues(error);
}
