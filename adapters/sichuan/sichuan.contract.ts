/**
 * The wire of this project's 四川一体化 contract (CONTRACT.md), in code: endpoints,
 * return codes, code tables and the schema of every envelope and body. Client and
 * sandbox both validate against these, so the contract has one definition.
 */
import { z } from 'zod';
import type { Decision, ItemStatus, MaterialForm, PlatformStage, Scope } from '../platform.port.js';
import { scFileId, wireCertificateSchema, wireRevocationSchema } from './sichuan-files.contract.js';
import { SIGN_TYPE, parseWireTime } from './sichuan.signature.js';

export const SICHUAN_ENDPOINTS = {
  itemQuery: '/gateway/item/query',
  itemBatchGet: '/gateway/item/batchGet',
  caseSubmit: '/gateway/case/submit',
  caseBatchGet: '/gateway/case/batchGet',
  caseGet: '/gateway/case/get',
} as const;

export type SichuanEndpoint = (typeof SICHUAN_ENDPOINTS)[keyof typeof SICHUAN_ENDPOINTS];

/** Largest itemCodes / caseIds list and page size the platform accepts. */
export const MAX_BATCH = 100;
export const MAX_KEYWORD_LENGTH = 50;
/** How far requestTime may lie from the receiver's clock, either way. */
export const TIME_TOLERANCE_MS = 5 * 60 * 1000;

export const RTN = {
  OK: '000000',
  BAD_PARAMETER: '100001',
  BAD_SIGNATURE: '100002',
  STALE_REQUEST: '100003',
  REPLAYED_NONCE: '100004',
  UNKNOWN_APP: '100005',
  ITEM_NOT_FOUND: '200001',
  CASE_NOT_FOUND: '200002',
  IDEMPOTENCY_CONFLICT: '300001',
  DIGEST_MISMATCH: '400001',
  FILE_TYPE_NOT_ALLOWED: '400003',
  FILE_NOT_FOUND: '400004',
  UNKNOWN_MATERIAL_FILE: '400005',
  SYSTEM_ERROR: '999999',
} as const;

export type RtnCode = (typeof RTN)[keyof typeof RTN];

export const RTN_MESSAGES: Record<RtnCode, string> = {
  '000000': '成功',
  '100001': '参数错误',
  '100002': '签名错误',
  '100003': '请求时间超出允许范围',
  '100004': '重复请求',
  '100005': '应用未授权',
  '200001': '事项不存在',
  '200002': '办件不存在',
  '300001': '幂等键冲突',
  '400001': '文件摘要不符',
  '400003': '文件类型不支持',
  '400004': '文件不存在',
  '400005': '材料文件不存在',
  '999999': '系统异常',
};

/**
 * Answers given before the caller is authenticated: the platform cannot know which
 * secret to sign with. A forged one can only make a call fail, never feed it data.
 */
export const UNSIGNED_RTN_CODES: ReadonlySet<string> = new Set([RTN.BAD_PARAMETER, RTN.BAD_SIGNATURE, RTN.UNKNOWN_APP]);

export const CASE_STATUS_STAGE = {
  SB: 'SUBMITTED',
  SL: 'ACCEPTED',
  SH: 'REVIEWING',
  JD: 'DECIDED',
  ZZ: 'CERTIFICATE_MADE',
  GZ: 'SEALED',
  CJ: 'ISSUED',
  BYSL: 'REJECTED',
} as const satisfies Record<string, PlatformStage>;

export type CaseStatus = keyof typeof CASE_STATUS_STAGE;
const CASE_STATUSES = Object.keys(CASE_STATUS_STAGE) as [CaseStatus, ...CaseStatus[]];

export const DECISION_RESULT = { '1': 'APPROVED', '2': 'DENIED' } as const satisfies Record<string, Decision>;

export const MATERIAL_FORM_CODE = {
  ORIGINAL: '1',
  COPY: '2',
  ORIGINAL_AND_COPY: '3',
  ELECTRONIC: '4',
} as const satisfies Record<MaterialForm, string>;

export const MATERIAL_FORM_OF_CODE = {
  '1': 'ORIGINAL',
  '2': 'COPY',
  '3': 'ORIGINAL_AND_COPY',
  '4': 'ELECTRONIC',
} as const satisfies Record<(typeof MATERIAL_FORM_CODE)[MaterialForm], MaterialForm>;

/** 通办类型. 跨区县通办 is a Chongqing arrangement and has no code here. */
export const SCOPE_CODE = {
  SICHUAN_CHONGQING: 'CYTB',
  IN_PROVINCE: 'SNTB',
  CROSS_PROVINCE: 'KSTB',
} as const satisfies Partial<Record<Scope, string>>;

/** 事项状态: 在用, 暂停 (suspended), 已下放 (delegated to a lower level). Absent means 在用. */
export const ITEM_STATE_CODE = {
  AVAILABLE: '0',
  SUSPENDED: '1',
  DELEGATED: '2',
} as const satisfies Record<ItemStatus, string>;

export const ITEM_STATE_OF_CODE = {
  '0': 'AVAILABLE',
  '1': 'SUSPENDED',
  '2': 'DELEGATED',
} as const satisfies Record<(typeof ITEM_STATE_CODE)[ItemStatus], ItemStatus>;

export const SCOPE_OF_CODE = {
  CYTB: 'SICHUAN_CHONGQING',
  SNTB: 'IN_PROVINCE',
  KSTB: 'CROSS_PROVINCE',
} as const satisfies Record<string, Scope>;

const APP_ID = /^[A-Za-z0-9_-]{1,64}$/;
const NONCE = /^[A-Za-z0-9]{16,64}$/;
const ITEM_CODE = /^\d{6}-\d{5}$/;

const wireTime = z.string().refine((text) => parseWireTime(text) !== null, 'expected yyyy-MM-dd HH:mm:ss');
const text = z.string().min(1);
const flag = z.enum(['0', '1']);
const materialFormCode = z.enum(['1', '2', '3', '4']);

export const requestEnvelopeSchema = z.object({
  head: z.object({
    appId: z.string().regex(APP_ID),
    requestTime: wireTime,
    nonce: z.string().regex(NONCE),
    signType: z.literal(SIGN_TYPE),
    sign: z.string(),
  }),
  body: z.string(),
});

export type RequestEnvelope = z.infer<typeof requestEnvelopeSchema>;

export const responseEnvelopeSchema = z.object({
  head: z.object({
    rtnCode: z.string().regex(/^\d{6}$/),
    rtnMsg: z.string().refine((msg) => !msg.includes('&'), "must not contain '&'"),
    responseTime: wireTime,
    /** The request's nonce echoed back; empty only when the request head was unreadable. */
    nonce: z.string().regex(/^(?:[A-Za-z0-9]{16,64})?$/),
    signType: z.literal(SIGN_TYPE),
    sign: z.string(),
  }),
  body: z.string(),
});

export const wireMaterialSchema = z.object({
  materialName: text,
  materialForm: materialFormCode,
  pageNum: z.number().int().min(0),
  isRequired: flag,
});

export const wireItemSchema = z
  .object({
  itemCode: z.string().regex(ITEM_CODE),
  itemName: text,
  legalItemName: text,
  deptName: text,
  areaCode: z.string().regex(/^\d{6}$/),
  powerType: text,
  anticipateDay: z.number().int().min(0),
  promiseDay: z.number().int().min(0),
  materialList: z.array(wireMaterialSchema),
  tbTypeList: z.array(z.enum(['CYTB', 'SNTB', 'KSTB'])),
  /** Project extension: "1" where the 办事指南 data is generated sample data. */
  isSample: flag.optional(),
  itemState: z.enum(['0', '1', '2']).optional(),
  /** 备注 as the list prints it beside the state. */
  remark: text.optional(),
})
  .refine((item) => item.areaCode.startsWith('51'), 'areaCode must be a Sichuan division (51xxxx)')
  .refine((item) => item.itemCode.startsWith(`${item.areaCode}-`), 'itemCode must begin with areaCode');

export type WireItem = z.infer<typeof wireItemSchema>;

const wireProcessSchema = z.object({
  status: z.enum(CASE_STATUSES),
  statusTime: wireTime,
  remark: z.string().optional(),
});

export const wireCaseSchema = z
  .object({
    caseId: text,
    businessNo: text,
    itemCode: z.string().regex(ITEM_CODE),
    status: z.enum(CASE_STATUSES),
    decisionResult: z.enum(['1', '2']).nullable(),
    reasonList: z.array(text),
    updateTime: wireTime,
    processList: z.array(wireProcessSchema).min(1),
    /** 电子证照, from CJ 出件 for an item that issues one; absent means none. */
    certificate: wireCertificateSchema.nullable().optional(),
  })
  .refine((c) => c.processList[c.processList.length - 1]!.status === c.status, 'status must be the last processList entry');

export type WireCase = z.infer<typeof wireCaseSchema>;

export const itemQueryRequestSchema = z.object({
  keyword: z.string().max(MAX_KEYWORD_LENGTH).optional(),
  pageNo: z.number().int().min(1),
  pageSize: z.number().int().min(1).max(MAX_BATCH),
});

export const itemQueryResponseSchema = z.object({
  totalCount: z.number().int().min(0),
  pageNo: z.number().int().min(1),
  pageSize: z.number().int().min(1),
  itemList: z.array(wireItemSchema),
});

export const itemBatchGetRequestSchema = z.object({
  itemCodes: z.array(z.string().regex(ITEM_CODE)).min(1).max(MAX_BATCH),
});

export const itemBatchGetResponseSchema = z.object({ itemList: z.array(wireItemSchema) });

export const caseSubmitRequestSchema = z.object({
  idempotentKey: z.string().min(1).max(128),
  businessNo: text,
  itemCode: z.string().regex(ITEM_CODE),
  /** "1" 自然人, "2" 法人或其他组织. */
  applicantType: z.enum(['1', '2']),
  applicantName: text,
  certNo: text,
  contactName: text,
  contactPhone: text,
  receiveWindowId: text,
  receiveAreaCode: z.string().regex(/^\d{6}$/),
  applyTime: wireTime,
  materialList: z.array(
    z.object({
      materialName: text,
      materialForm: materialFormCode,
      pageNum: z.number().int().min(0),
      /** The material's files, uploaded under the case's businessNo (§9). */
      fileIds: z.array(scFileId).max(50).optional(),
    }),
  ),
});

export type CaseSubmitRequest = z.infer<typeof caseSubmitRequestSchema>;

export const caseSubmitResponseSchema = z.object({ case: wireCaseSchema, duplicated: z.boolean() });

export const caseBatchGetRequestSchema = z.object({ caseIds: z.array(text).min(1).max(MAX_BATCH) });

export const caseBatchGetResponseSchema = z.object({ caseList: z.array(wireCaseSchema) });

export const caseGetRequestSchema = z.object({ caseId: text });

export const caseGetResponseSchema = z.object({ case: wireCaseSchema });

/** Body of a status push (webhook); its envelope is a request envelope. */
export const wireCaseEventSchema = z.object({
  eventId: text,
  caseId: text,
  businessNo: text,
  itemCode: z.string().regex(ITEM_CODE),
  status: z.enum(CASE_STATUSES),
  statusTime: wireTime,
  decisionResult: z.enum(['1', '2']).nullable(),
  reasonList: z.array(text),
  /** Set only on a revocation push. */
  certRevoke: wireRevocationSchema.optional(),
});

export type WireCaseEvent = z.infer<typeof wireCaseEventSchema>;
