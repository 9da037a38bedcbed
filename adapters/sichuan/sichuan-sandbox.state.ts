/**
 * The 四川 sandbox's records: the catalog in the platform's wire format, cases with idempotent
 * intake by idempotentKey, and their progression 申报 → 受理 → 审核 → 决定 → 制证 → 盖章 → 出件
 * (or 不予受理 for refused items). Each stage change becomes an event handed to `onEvent`,
 * which pushes it. Answers are the platform's rtnCode and body; the envelope around them is
 * signed in sichuan-sandbox.signing.ts.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { CatalogItem } from '../platform.port.js';
import type { HeldFile, SandboxFileStore } from '../sandbox-files.kit.js';
import { canonicalJson, describeZodIssues } from '../wire.kit.js';
import { SICHUAN_CATALOG } from './sichuan.catalog.js';
import {
  ITEM_STATE_CODE,
  MATERIAL_FORM_CODE,
  RTN,
  SCOPE_CODE,
  SICHUAN_ENDPOINTS,
  caseBatchGetRequestSchema,
  caseGetRequestSchema,
  caseSubmitRequestSchema,
  itemBatchGetRequestSchema,
  itemQueryRequestSchema,
  type CaseStatus,
  type RtnCode,
  type SichuanEndpoint,
  type WireCase,
  type WireCaseEvent,
  type WireItem,
} from './sichuan.contract.js';
import type { WireCertificate } from './sichuan-files.contract.js';
import { formatWireTime } from './sichuan.signature.js';

export interface Answer {
  rtnCode: RtnCode;
  rtnMsg?: string;
  body?: unknown;
}

interface StoredCase {
  wire: WireCase;
  fingerprint: string;
  holderName: string;
}

/** What `files()` shows of a held file. */
export type SandboxFileView = Pick<HeldFile, 'fileId' | 'businessNo' | 'material' | 'sha256' | 'size'>;

const NEXT_STATUS: Partial<Record<CaseStatus, CaseStatus>> = { SL: 'SH', SH: 'JD', JD: 'ZZ', ZZ: 'GZ', GZ: 'CJ' };

/** The jurisdiction-side steps of seed 004, as the platform labels them. */
const STATUS_REMARK: Record<CaseStatus, string> = {
  SB: '申报',
  SL: '受理',
  SH: '审核',
  JD: '准予许可决定',
  ZZ: '制作证照',
  GZ: '加盖印章',
  CJ: '出件',
  BYSL: '不予受理',
};

export interface SichuanStateOptions {
  /** Sets this run's case ids apart from every other run's. */
  run: string;
  now: () => number;
  /** Cases of these items end 不予受理 with reasons instead of being accepted. */
  rejectItemCodes?: string[];
  /** Called for each stage change; resolves when its push is delivered or given up. */
  onEvent(event: WireCaseEvent): Promise<void>;
  /** The files received and made; a submission may name only those of its own businessNo. */
  files: SandboxFileStore;
  /** The 电子证照 of an approved case reaching CJ 出件. */
  issueCertificate(wire: WireCase, item: CatalogItem, holderName: string): WireCertificate;
}

export function createSichuanState(opts: SichuanStateOptions) {
  const { now } = opts;
  const rejectItemCodes = new Set(opts.rejectItemCodes ?? []);
  const catalog = new Map(SICHUAN_CATALOG.map((item) => [item.code, item]));
  const wireCatalog = SICHUAN_CATALOG.map(toWireItem);
  const casesById = new Map<string, StoredCase>();
  const casesByKey = new Map<string, StoredCase>();
  let caseSerial = 0;

  const answers: Record<SichuanEndpoint, (body: unknown) => Answer> = {
    [SICHUAN_ENDPOINTS.itemQuery]: (body) =>
      validated(itemQueryRequestSchema, body, ({ keyword, pageNo, pageSize }) => {
        const fields = (item: WireItem) => [item.itemCode, item.itemName, item.legalItemName, item.deptName];
        const matches = keyword ? wireCatalog.filter((item) => fields(item).some((field) => field.includes(keyword))) : wireCatalog;
        const start = (pageNo - 1) * pageSize;
        return { rtnCode: RTN.OK, body: { totalCount: matches.length, pageNo, pageSize, itemList: matches.slice(start, start + pageSize) } };
      }),
    [SICHUAN_ENDPOINTS.itemBatchGet]: (body) =>
      validated(itemBatchGetRequestSchema, body, ({ itemCodes }) => {
        const byCode = new Map(wireCatalog.map((item) => [item.itemCode, item]));
        return { rtnCode: RTN.OK, body: { itemList: [...new Set(itemCodes)].flatMap((code) => byCode.get(code) ?? []) } };
      }),
    [SICHUAN_ENDPOINTS.caseSubmit]: (body) =>
      validated(caseSubmitRequestSchema, body, (submission) => {
        const fingerprint = canonicalJson(submission);
        const existing = casesByKey.get(submission.idempotentKey);
        if (existing) {
          if (existing.fingerprint !== fingerprint) return { rtnCode: RTN.IDEMPOTENCY_CONFLICT };
          return { rtnCode: RTN.OK, body: { case: existing.wire, duplicated: true } };
        }
        if (!catalog.has(submission.itemCode)) return { rtnCode: RTN.ITEM_NOT_FOUND, rtnMsg: `事项不存在: ${submission.itemCode}` };
        const unknown = submission.materialList.flatMap((m) => m.fileIds ?? []).filter((fileId) => !opts.files.holds(submission.businessNo, fileId));
        if (unknown.length > 0) return { rtnCode: RTN.UNKNOWN_MATERIAL_FILE, rtnMsg: `业务编号 ${submission.businessNo} 下没有文件: ${unknown.join(', ')}` };
        const at = formatWireTime(now());
        caseSerial += 1;
        const caseId = `SC${at.slice(0, 10).replaceAll('-', '')}${opts.run}${String(caseSerial).padStart(6, '0')}`;
        const { businessNo, itemCode } = submission;
        const processList = [{ status: 'SB' as const, statusTime: at, remark: STATUS_REMARK.SB }];
        const wire: WireCase = { caseId, businessNo, itemCode, status: 'SB', decisionResult: null, reasonList: [], updateTime: at, processList, certificate: null };
        const stored: StoredCase = { fingerprint, holderName: submission.applicantName, wire };
        casesByKey.set(submission.idempotentKey, stored);
        casesById.set(caseId, stored);
        return { rtnCode: RTN.OK, body: { case: stored.wire, duplicated: false } };
      }),
    [SICHUAN_ENDPOINTS.caseBatchGet]: (body) =>
      validated(caseBatchGetRequestSchema, body, ({ caseIds }) => ({
        rtnCode: RTN.OK,
        body: { caseList: [...new Set(caseIds)].flatMap((id) => casesById.get(id)?.wire ?? []) },
      })),
    [SICHUAN_ENDPOINTS.caseGet]: (body) =>
      validated(caseGetRequestSchema, body, ({ caseId }) => {
        const stored = casesById.get(caseId);
        return stored ? { rtnCode: RTN.OK, body: { case: stored.wire } } : { rtnCode: RTN.CASE_NOT_FOUND };
      }),
  };

  function step(stored: StoredCase): WireCaseEvent | null {
    const c = stored.wire;
    const next: CaseStatus | undefined = c.status === 'SB' ? (rejectItemCodes.has(c.itemCode) ? 'BYSL' : 'SL') : NEXT_STATUS[c.status];
    if (!next) return null;
    const at = formatWireTime(now());
    // Replaced, never mutated: a record already handed out keeps describing its moment.
    stored.wire = {
      ...c,
      status: next,
      decisionResult: next === 'JD' ? '1' : c.decisionResult,
      reasonList: next === 'BYSL' ? rejectionReasons(catalog.get(c.itemCode)) : c.reasonList,
      updateTime: at,
      processList: [...c.processList, { status: next, statusTime: at, remark: STATUS_REMARK[next] }],
    };
    if (next === 'CJ' && stored.wire.decisionResult === '1') {
      stored.wire = { ...stored.wire, certificate: opts.issueCertificate(stored.wire, catalog.get(c.itemCode)!, stored.holderName) };
    }
    const { caseId, businessNo, itemCode } = c;
    const { decisionResult, reasonList } = stored.wire;
    return { eventId: randomUUID(), caseId, businessNo, itemCode, status: next, statusTime: at, decisionResult, reasonList };
  }

  return {
    /** The answer to a verified request's body. */
    answer: (endpoint: SichuanEndpoint, body: unknown): Answer => answers[endpoint](body),
    /** Moves one case (or every open case) one stage; resolves with the cases moved once their pushes settled. */
    advance(platformCaseId?: string): Promise<WireCase[]> {
      let targets: StoredCase[];
      if (platformCaseId === undefined) {
        targets = [...casesById.values()];
      } else {
        const stored = casesById.get(platformCaseId);
        if (!stored) return Promise.reject(new Error(`sandbox has no case ${platformCaseId}`));
        targets = [stored];
      }
      const moved: WireCase[] = [];
      const pushes: Promise<void>[] = [];
      for (const stored of targets) {
        const event = step(stored);
        if (!event) continue;
        moved.push(stored.wire);
        pushes.push(opts.onEvent(event));
      }
      return Promise.all(pushes).then(() => moved);
    },
    cases: () => [...casesById.values()].map((stored) => structuredClone(stored.wire)),
    files: (): SandboxFileView[] => opts.files.list().map(({ fileId, businessNo, material, sha256, size }) => ({ fileId, businessNo, material, sha256, size })),
    /** Marks the certificate revoked; resolves with the case once the revocation push settled. */
    revokeCertificate(number: string, reason: string): Promise<WireCase> {
      const stored = [...casesById.values()].find((candidate) => candidate.wire.certificate?.certNo === number);
      const certificate = stored?.wire.certificate;
      if (!stored || !certificate) return Promise.reject(new Error(`sandbox has no certificate ${number}`));
      const revokeTime = formatWireTime(now());
      stored.wire = { ...stored.wire, certificate: { ...certificate, revokeTime, revokeReason: reason } };
      const { caseId, businessNo, itemCode, status, decisionResult, reasonList } = stored.wire;
      const certRevoke = { verifyCode: certificate.verifyCode, revokeTime, revokeReason: reason };
      const event: WireCaseEvent = { eventId: randomUUID(), caseId, businessNo, itemCode, status, statusTime: revokeTime, decisionResult, reasonList, certRevoke };
      return opts.onEvent(event).then(() => structuredClone(stored.wire));
    },
  };
}

function validated<S extends z.ZodType>(schema: S, body: unknown, then: (value: z.output<S>) => Answer): Answer {
  const parsed = schema.safeParse(body);
  if (!parsed.success) return { rtnCode: RTN.BAD_PARAMETER, rtnMsg: `参数错误: ${issues(parsed.error)}` };
  return then(parsed.data);
}

export function issues(error: z.ZodError): string {
  return describeZodIssues(error, 3, ' ');
}

function toWireItem(item: CatalogItem): WireItem {
  return {
    itemCode: item.code,
    itemName: item.name,
    legalItemName: item.legalName,
    deptName: item.department,
    areaCode: item.divisionCode,
    powerType: item.powerType,
    anticipateDay: item.legalLimitDays,
    promiseDay: item.promisedLimitDays,
    materialList: item.materials.map((m) => ({
      materialName: m.name,
      materialForm: MATERIAL_FORM_CODE[m.form],
      pageNum: m.copies,
      isRequired: m.required ? '1' : '0',
    })),
    tbTypeList: item.scopes.flatMap((scope) => (scope in SCOPE_CODE ? [SCOPE_CODE[scope as keyof typeof SCOPE_CODE]] : [])),
    isSample: item.sampleData ? '1' : '0',
    ...(item.status === 'AVAILABLE' ? {} : { itemState: ITEM_STATE_CODE[item.status] }),
    ...(item.statusRemark ? { remark: item.statusRemark } : {}),
  };
}

function rejectionReasons(item: CatalogItem | undefined): string[] {
  const material = item?.materials[2]?.name ?? item?.materials[1]?.name ?? '申请材料';
  return [`申请材料不符合法定形式：${material}不符合要求`, '申请人未在规定期限内补正全部材料'];
}
