/**
 * 渝快办 wire format (CONTRACT.md §1, §3–§8): field names, code tables, the time format and
 * the schemas both sides validate against. Everything 渝快办-shaped lives here; the rest
 * of the system sees only the port's model.
 */
import { z } from 'zod';
import { describeZodIssues } from '../wire.kit.js';
import { ykbCertificateSchema, ykbFileId, ykbRevocationSchema } from './yukuaiban-files.wire.js';
import { ykbTimeToMillis } from './yukuaiban.time.js';
import type { ApplicantRef, Decision, ItemStatus, MaterialForm, PlatformStage, Scope } from '../platform.port.js';

export const YKB_API = {
  items: '/api/v1/items',
  itemsBatch: '/api/v1/items/batch',
  cases: '/api/v1/cases',
  casesBatch: '/api/v1/cases/batch',
} as const;

export const YKB_MAX_BATCH = 200;
export const YKB_MAX_PAGE_SIZE = 100;
export const YKB_MAX_KEYWORD_LENGTH = 50;

export const YKB_OK = '0';

/** Business codes (CONTRACT.md §4). */
export const YKB_CODE = {
  badParams: '40001',
  batchTooLarge: '40002',
  bodyTooLarge: '40003',
  badSignature: '40101',
  staleTimestamp: '40102',
  replayedNonce: '40103',
  unknownAppKey: '40104',
  notFound: '40400',
  itemNotFound: '40401',
  caseNotFound: '40402',
  digestMismatch: '40004',
  fileTooLarge: '40005',
  fileTypeNotAllowed: '40006',
  lengthRequired: '40007',
  unknownFile: '40008',
  fileNotFound: '40403',
  idempotencyConflict: '40901',
  duplicateBusinessNo: '40902',
  rateLimited: '42900',
  internal: '50000',
  unavailable: '50300',
} as const;

export const YKB_STAGES = {
  '01': 'SUBMITTED',
  '02': 'ACCEPTED',
  '03': 'REVIEWING',
  '04': 'DECIDED',
  '05': 'CERTIFICATE_MADE',
  '06': 'SEALED',
  '07': 'ISSUED',
  '09': 'REJECTED',
} as const satisfies Record<string, PlatformStage>;
export type YkbStageCode = keyof typeof YKB_STAGES;

export const YKB_POWER_TYPES = {
  '01': '行政许可',
  '02': '行政处罚',
  '03': '行政强制',
  '04': '行政征收',
  '05': '行政给付',
  '06': '行政检查',
  '07': '行政确认',
  '08': '行政奖励',
  '09': '行政裁决',
  '10': '其他行政权力',
  '11': '公共服务',
} as const;
export type YkbPowerTypeCode = keyof typeof YKB_POWER_TYPES;

export const YKB_MATERIAL_FORMS = {
  '1': 'ORIGINAL',
  '2': 'COPY',
  '3': 'ORIGINAL_AND_COPY',
  '4': 'ELECTRONIC',
} as const satisfies Record<string, MaterialForm>;
export type YkbMaterialFormCode = keyof typeof YKB_MATERIAL_FORMS;

export const YKB_SCOPES = {
  '01': 'CROSS_DISTRICT',
  '02': 'SICHUAN_CHONGQING',
  '03': 'CROSS_PROVINCE',
  '04': 'IN_PROVINCE',
} as const satisfies Record<string, Scope>;
export type YkbScopeCode = keyof typeof YKB_SCOPES;

export const YKB_DECISIONS = { '1': 'APPROVED', '2': 'DENIED' } as const satisfies Record<string, Decision>;
export type YkbDecisionCode = keyof typeof YKB_DECISIONS;

/** 事项状态: 1 在用, 2 暂停, 3 已下放. Absent means 在用. */
export const YKB_ITEM_STATES = { '1': 'AVAILABLE', '2': 'SUSPENDED', '3': 'DELEGATED' } as const satisfies Record<string, ItemStatus>;
export type YkbItemStateCode = keyof typeof YKB_ITEM_STATES;

export const YKB_APPLICANT_KINDS = { '1': 'PERSON', '2': 'ORGANISATION' } as const satisfies Record<string, ApplicantRef['kind']>;
export type YkbApplicantKindCode = keyof typeof YKB_APPLICANT_KINDS;

function codesOf<K extends string>(table: Record<K, unknown>): [K, ...K[]] {
  return Object.keys(table) as [K, ...K[]];
}

export function inverse<K extends string, V extends string>(table: Record<K, V>): Record<V, K> {
  return Object.fromEntries(Object.entries(table).map(([code, value]) => [value, code])) as Record<V, K>;
}

export { millisToYkbTime, ykbTimeToMillis } from './yukuaiban.time.js';

const text = (max: number) => z.string().trim().min(1).max(max);
const ykbTime = z.string().refine((value) => ykbTimeToMillis(value) !== null, 'expected yyyyMMddHHmmss (Beijing time)');
const itemCode = z.string().regex(/^\d{6}-\d{5}$/);
const caseId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const stageCode = z.enum(codesOf(YKB_STAGES));
const decisionCode = z.enum(codesOf(YKB_DECISIONS)).nullable();
const materialForm = z.enum(codesOf(YKB_MATERIAL_FORMS));

export const ykbEnvelopeSchema = z.object({
  code: z.string().regex(/^\d{1,6}$/),
  msg: z.string(),
  data: z.unknown().optional(),
});
export type YkbEnvelope = z.infer<typeof ykbEnvelopeSchema>;

export const ykbMaterialSchema = z.object({
  clmc: text(200),
  clxs: materialForm,
  fs: z.number().int().min(0).max(99),
  sfbx: z.enum(['0', '1']),
});

export const ykbItemSchema = z.object({
  sxbm: itemCode,
  sxmc: text(300),
  fdsxmc: text(300),
  zrdw: text(100),
  xzqhdm: z.string().regex(/^\d{6}$/),
  qllx: z.enum(codesOf(YKB_POWER_TYPES)),
  fdsx: z.number().int().min(1).max(999),
  cnsx: z.number().int().min(1).max(999),
  cllb: z.array(ykbMaterialSchema).max(100),
  tbfw: z.array(z.enum(codesOf(YKB_SCOPES))).min(1),
  slsj: z.boolean().optional(),
  sxzt: z.enum(codesOf(YKB_ITEM_STATES)).optional(),
  /** 备注 as the list prints it. */
  bz: text(200).optional(),
});
export type YkbItem = z.infer<typeof ykbItemSchema>;

export const ykbItemPageSchema = z.object({
  list: z.array(ykbItemSchema),
  total: z.number().int().min(0),
  page: z.number().int().min(1),
  size: z.number().int().min(1),
});

export const ykbItemListSchema = z.object({ list: z.array(ykbItemSchema) });

export const ykbStageEntrySchema = z.object({
  zt: stageCode,
  sj: ykbTime,
  bz: z.string().max(1000).optional(),
});

export const ykbCaseSchema = z.object({
  bjbh: caseId,
  ywbh: text(64),
  sxbm: itemCode,
  zt: stageCode,
  jdjg: decisionCode,
  byslyy: z.array(text(500)),
  gxsj: ykbTime,
  lsjl: z.array(ykbStageEntrySchema).min(1),
  /** 电子证照, from 07 出件 for an item that issues one; absent means none. */
  dzzz: ykbCertificateSchema.nullable().optional(),
});
export type YkbCase = z.infer<typeof ykbCaseSchema>;

export const ykbCaseListSchema = z.object({ list: z.array(ykbCaseSchema) });

export const ykbSubmitCaseSchema = z.object({
  ywbh: text(64),
  sxbm: itemCode,
  sqr: z.object({
    sqrlx: z.enum(codesOf(YKB_APPLICANT_KINDS)),
    sqrmc: text(200),
    zjhm: text(32),
  }),
  lxr: z.object({ lxrxm: text(100), lxdh: text(32) }),
  sjckbm: text(64),
  sjqhdm: z.string().regex(/^\d{6}$/),
  clqd: z
    .array(
      z.object({
        clmc: text(200),
        clxs: materialForm,
        fs: z.number().int().min(1).max(99),
        /** 电子文件编号: the files uploaded for this material (§10). */
        dzwjbh: z.array(ykbFileId).max(50).optional(),
      }),
    )
    .max(200),
  sqsj: ykbTime,
});
export type YkbSubmitCase = z.infer<typeof ykbSubmitCaseSchema>;

export const ykbItemsBatchRequestSchema = z.object({ sxbmList: z.array(z.string().min(1).max(64)).min(1) });
export const ykbCasesBatchRequestSchema = z.object({ bjbhList: z.array(z.string().min(1).max(64)).min(1) });

export const ykbWebhookSchema = z.object({
  tsbh: text(64),
  bjbh: caseId,
  ywbh: text(64),
  sxbm: itemCode,
  zt: stageCode,
  jdjg: decisionCode,
  byslyy: z.array(text(500)),
  bgsj: ykbTime,
  /** 证照注销: set only on a revocation push. */
  zzzx: ykbRevocationSchema.optional(),
});
export type YkbWebhook = z.infer<typeof ykbWebhookSchema>;

/** First few problems of a failed parse, for error messages and 400 bodies. */
export function describeIssues(error: z.ZodError): string {
  return describeZodIssues(error);
}
