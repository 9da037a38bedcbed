/**
 * Translation between 渝快办's wire records (already validated against yukuaiban.wire.ts)
 * and the port's model. Times leave as ISO-8601 UTC (`toISOString`) so that the rest of
 * the system compares them as strings regardless of which platform they came from.
 */
import { InputError } from '../../domain/errors.js';
import type { CatalogItem, PlatformCaseRecord, PlatformCertificate, PlatformEvent, SubmitCaseRequest } from '../platform.port.js';
import { ykbDateToIso, type YkbCertificate } from './yukuaiban-files.wire.js';
import {
  inverse,
  millisToYkbTime,
  ykbTimeToMillis,
  YKB_APPLICANT_KINDS,
  YKB_DECISIONS,
  YKB_ITEM_STATES,
  YKB_MATERIAL_FORMS,
  YKB_POWER_TYPES,
  YKB_SCOPES,
  YKB_STAGES,
  type YkbCase,
  type YkbItem,
  type YkbPowerTypeCode,
  type YkbSubmitCase,
  type YkbWebhook,
} from './yukuaiban.wire.js';

const MATERIAL_FORM_CODES = inverse(YKB_MATERIAL_FORMS);
const SCOPE_CODES = inverse(YKB_SCOPES);
const APPLICANT_KIND_CODES = inverse(YKB_APPLICANT_KINDS);
const ITEM_STATE_CODES = inverse(YKB_ITEM_STATES);
const POWER_TYPE_CODES: Record<string, YkbPowerTypeCode | undefined> = inverse(YKB_POWER_TYPES);

/** Only for strings the schema has already accepted as ykb times. */
export function isoFromYkb(value: string): string {
  return new Date(ykbTimeToMillis(value)!).toISOString();
}

export function itemFromWire(wire: YkbItem): CatalogItem {
  return {
    code: wire.sxbm,
    region: 'CHONGQING',
    name: wire.sxmc,
    legalName: wire.fdsxmc,
    department: wire.zrdw,
    divisionCode: wire.xzqhdm,
    powerType: YKB_POWER_TYPES[wire.qllx],
    legalLimitDays: wire.fdsx,
    promisedLimitDays: wire.cnsx,
    materials: wire.cllb.map((material) => ({
      name: material.clmc,
      form: YKB_MATERIAL_FORMS[material.clxs],
      copies: material.fs,
      required: material.sfbx === '1',
    })),
    scopes: wire.tbfw.map((code) => YKB_SCOPES[code]),
    sampleData: wire.slsj === true,
    status: YKB_ITEM_STATES[wire.sxzt ?? '1'],
    statusRemark: wire.bz ?? null,
  };
}

export function itemToWire(item: CatalogItem): YkbItem {
  const qllx = POWER_TYPE_CODES[item.powerType];
  if (qllx === undefined) throw new InputError('INPUT.INVALID_POWER_TYPE', `渝快办没有权力类型「${item.powerType}」(${item.code})`);
  return {
    sxbm: item.code,
    sxmc: item.name,
    fdsxmc: item.legalName,
    zrdw: item.department,
    xzqhdm: item.divisionCode,
    qllx,
    fdsx: item.legalLimitDays,
    cnsx: item.promisedLimitDays,
    cllb: item.materials.map((material) => ({
      clmc: material.name,
      clxs: MATERIAL_FORM_CODES[material.form],
      fs: material.copies,
      sfbx: material.required ? '1' : '0',
    })),
    tbfw: item.scopes.map((scope) => SCOPE_CODES[scope]),
    ...(item.sampleData ? { slsj: true } : {}),
    ...(item.status === 'AVAILABLE' ? {} : { sxzt: ITEM_STATE_CODES[item.status] }),
    ...(item.statusRemark ? { bz: item.statusRemark } : {}),
  };
}

export function caseFromWire(wire: YkbCase): PlatformCaseRecord {
  return {
    platformCaseId: wire.bjbh,
    region: 'CHONGQING',
    businessNo: wire.ywbh,
    itemCode: wire.sxbm,
    stage: YKB_STAGES[wire.zt],
    decision: wire.jdjg === null ? null : YKB_DECISIONS[wire.jdjg],
    rejectReasons: [...wire.byslyy],
    updatedAt: isoFromYkb(wire.gxsj),
    history: wire.lsjl.map((entry) => ({
      stage: YKB_STAGES[entry.zt],
      at: isoFromYkb(entry.sj),
      ...(entry.bz ? { note: entry.bz } : {}),
    })),
    certificate: wire.dzzz ? certificateFromWire(wire.dzzz) : null,
  };
}

export function certificateFromWire(wire: YkbCertificate): PlatformCertificate {
  return {
    fileId: wire.wjbh,
    number: wire.zzbh,
    holderName: wire.czr,
    itemName: wire.sxmc,
    department: wire.fzjg,
    validFrom: ykbDateToIso(wire.yxqq),
    validUntil: wire.yxqz === null ? null : ykbDateToIso(wire.yxqz),
    verificationCode: wire.yzm,
    issuedAt: isoFromYkb(wire.fzsj),
    revokedAt: wire.zxsj === null ? null : isoFromYkb(wire.zxsj),
    revocationReason: wire.zxyy,
  };
}

export function eventFromWire(wire: YkbWebhook): PlatformEvent {
  return {
    eventId: wire.tsbh,
    region: 'CHONGQING',
    platformCaseId: wire.bjbh,
    businessNo: wire.ywbh,
    stage: YKB_STAGES[wire.zt],
    decision: wire.jdjg === null ? null : YKB_DECISIONS[wire.jdjg],
    reasons: [...wire.byslyy],
    at: isoFromYkb(wire.bgsj),
    ...(wire.zzzx ? { certificateRevoked: { verificationCode: wire.zzzx.yzm, revokedAt: isoFromYkb(wire.zzzx.zxsj), reason: wire.zzzx.zxyy } } : {}),
  };
}

/**
 * Field order is fixed here, so the same request always serialises to the same bytes —
 * what lets the platform recognise a resubmission under the same idempotency key.
 */
export function submitToWire(request: SubmitCaseRequest): YkbSubmitCase {
  const submittedAt = Date.parse(request.submittedAt);
  if (Number.isNaN(submittedAt)) {
    throw new InputError('INPUT.INVALID_DATETIME', `申请时间格式不正确: ${JSON.stringify(request.submittedAt)}（应为 ISO-8601）`);
  }
  return {
    ywbh: request.businessNo,
    sxbm: request.itemCode,
    sqr: {
      sqrlx: APPLICANT_KIND_CODES[request.applicant.kind],
      sqrmc: request.applicant.name,
      zjhm: request.applicant.idNumber,
    },
    lxr: { lxrxm: request.contact.name, lxdh: request.contact.phone },
    sjckbm: request.receivingWindowId,
    sjqhdm: request.receivingDivisionCode,
    clqd: request.materials.map((material) => ({
      clmc: material.name,
      clxs: MATERIAL_FORM_CODES[material.form],
      fs: material.copies,
      ...(material.fileIds === undefined || material.fileIds.length === 0 ? {} : { dzwjbh: [...material.fileIds] }),
    })),
    sqsj: millisToYkbTime(submittedAt),
  };
}
