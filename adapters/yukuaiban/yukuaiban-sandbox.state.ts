/**
 * The 渝快办 sandbox's records: the catalog (searchable, batch-readable, revisable), cases
 * in the platform's wire format with idempotent intake, and their stage progression
 * 01 提交 → … → 07 出件 (or 09 不予受理 for refused items) — on `advance()` or, with
 * `stepMs`, on a timer. Each stage change is handed to `onStage`, which pushes it.
 */
import { NotFoundError } from '../../domain/errors.js';
import type { CatalogItem } from '../platform.port.js';
import type { HeldFile, SandboxFileStore } from '../sandbox-files.kit.js';
import { envelopeReply, type EnvelopeReply } from '../sandbox.kit.js';
import { canonicalJson, IDEMPOTENCY_KEY } from '../wire.kit.js';
import { itemToWire } from './yukuaiban.mapper.js';
import { YKB_HEADER } from './yukuaiban.signature.js';
import type { YkbCertificate } from './yukuaiban-files.wire.js';
import {
  describeIssues,
  millisToYkbTime,
  ykbSubmitCaseSchema,
  YKB_CODE,
  YKB_MAX_BATCH,
  YKB_MAX_KEYWORD_LENGTH,
  YKB_MAX_PAGE_SIZE,
  YKB_OK,
  type YkbCase,
  type YkbWebhook,
  type YkbEnvelope,
  type YkbItem,
  type YkbStageCode,
} from './yukuaiban.wire.js';

export type Reply = EnvelopeReply<YkbEnvelope>;

export const ok = (data: unknown, status = 200): Reply => envelopeReply(status, { code: YKB_OK, msg: 'success', data });

export const fail = (status: number, code: string, msg: string, headers?: Record<string, string>): Reply => envelopeReply(status, { code, msg }, headers);

const DEFAULT_REJECT_REASONS = ['申请材料不齐全或者不符合法定形式，且未在规定期限内补正'];

const NEXT_STAGE: Record<YkbStageCode, YkbStageCode | null> = {
  '01': '02',
  '02': '03',
  '03': '04',
  '04': '05',
  '05': '06',
  '06': '07',
  '07': null,
  '09': null,
};

const STAGE_NOTES: Record<YkbStageCode, string> = {
  '01': '已提交',
  '02': '已受理',
  '03': '审核中',
  '04': '准予许可',
  '05': '已制证',
  '06': '已盖章',
  '07': '已出件',
  '09': '不予受理',
};

export interface YukuaibanStateOptions {
  /** Sets this run's case ids apart from every other run's. */
  instance: string;
  now: () => number;
  stepMs?: number;
  catalog: readonly CatalogItem[];
  /** Cases for these items are refused (09 不予受理) instead of accepted. */
  rejectItemCodes?: readonly string[];
  rejectReasons?: readonly string[];
  isClosed: () => boolean;
  /** Called once a case moved to another stage, or (with `revocation`) had its certificate revoked. */
  onStage(record: YkbCase, revocation?: YkbWebhook['zzzx']): void;
  /** The files received and made; a submission may name only those of its own business number. */
  files: SandboxFileStore;
  /** The 电子证照 of an approved case reaching 07 出件. */
  issueCertificate(record: YkbCase, item: YkbItem, holderName: string): YkbCertificate;
}

/** What `files()` shows of a held file. */
export type SandboxFileView = Pick<HeldFile, 'fileId' | 'businessNo' | 'material' | 'sha256' | 'size'>;

export function createYukuaibanState(opts: YukuaibanStateOptions) {
  const { now } = opts;
  const rejectItems = new Set(opts.rejectItemCodes ?? []);
  const rejectReasons = [...(opts.rejectReasons ?? DEFAULT_REJECT_REASONS)];
  const catalog: YkbItem[] = opts.catalog.map(itemToWire).sort((a, b) => a.sxbm.localeCompare(b.sxbm));
  const catalogByCode = new Map(catalog.map((item) => [item.sxbm, item]));
  let caseSeq = 0;
  const cases = new Map<string, YkbCase>();
  const byBusinessNo = new Map<string, string>();
  const holderNames = new Map<string, string>();
  /** The request bytes as received: compared by content only when the key comes again, which is rare, instead of canonicalising every intake. */
  const byIdempotencyKey = new Map<string, { raw: Buffer; platformCaseId: string }>();
  const stepTimers = new Map<string, NodeJS.Timeout>();

  function batch<T>(keys: string[], lookup: (key: string) => T | undefined): Reply {
    if (keys.length > YKB_MAX_BATCH) return fail(400, YKB_CODE.batchTooLarge, `单次最多 ${YKB_MAX_BATCH} 个`);
    const list = [...new Set(keys)].map(lookup).filter((found): found is T => found !== undefined);
    return ok({ list });
  }

  function scheduleStep(record: YkbCase): void {
    clearTimeout(stepTimers.get(record.bjbh));
    stepTimers.delete(record.bjbh);
    if (!opts.stepMs || opts.isClosed() || NEXT_STAGE[record.zt] === null) return;
    const timer = setTimeout(() => {
      stepTimers.delete(record.bjbh);
      advanceCase(record);
    }, opts.stepMs);
    timer.unref();
    stepTimers.set(record.bjbh, timer);
  }

  function advanceCase(record: YkbCase): boolean {
    const next = record.zt === '01' && rejectItems.has(record.sxbm) ? '09' : NEXT_STAGE[record.zt];
    if (next === null || opts.isClosed()) return false;
    const sj = millisToYkbTime(now());
    if (next === '04') record.jdjg = '1';
    if (next === '09') record.byslyy = [...rejectReasons];
    if (next === '07' && record.jdjg === '1') record.dzzz = opts.issueCertificate(record, catalogByCode.get(record.sxbm)!, holderNames.get(record.bjbh)!);
    record.zt = next;
    record.gxsj = sj;
    record.lsjl.push({ zt: next, sj, bz: next === '09' ? rejectReasons.join('；') : STAGE_NOTES[next] });
    opts.onStage(record);
    scheduleStep(record);
    return true;
  }

  return {
    searchItems(url: URL): Reply {
      const keyword = (url.searchParams.get('keyword') ?? '').trim();
      const page = Number(url.searchParams.get('page') ?? '1');
      const size = Number(url.searchParams.get('size') ?? '20');
      if (!Number.isInteger(page) || page < 1 || !Number.isInteger(size) || size < 1 || size > YKB_MAX_PAGE_SIZE || keyword.length > YKB_MAX_KEYWORD_LENGTH) {
        return fail(400, YKB_CODE.badParams, `参数错误：page ≥ 1，1 ≤ size ≤ ${YKB_MAX_PAGE_SIZE}，keyword ≤ ${YKB_MAX_KEYWORD_LENGTH} 字`);
      }
      const matching = keyword
        ? catalog.filter((item) => [item.sxbm, item.sxmc, item.fdsxmc, item.zrdw].some((field) => field.includes(keyword)))
        : catalog;
      return ok({ list: matching.slice((page - 1) * size, page * size), total: matching.length, page, size });
    },
    itemsBatch: (codes: string[]): Reply => batch(codes, (code) => catalogByCode.get(code)),
    casesBatch: (ids: string[]): Reply =>
      batch(ids, (id) => {
        const found = cases.get(id);
        return found && structuredClone(found);
      }),
    getCase(id: string): Reply {
      const found = cases.get(id);
      return found ? ok(structuredClone(found)) : fail(404, YKB_CODE.caseNotFound, '办件不存在');
    },
    submitCase(key: string | string[] | undefined, json: unknown, raw: Buffer): Reply {
      if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) return fail(400, YKB_CODE.badParams, `缺少或无效的 ${YKB_HEADER.idempotencyKey}`);
      const parsed = ykbSubmitCaseSchema.safeParse(json);
      if (!parsed.success) return fail(400, YKB_CODE.badParams, `参数错误：${describeIssues(parsed.error)}`);
      const earlier = byIdempotencyKey.get(key);
      if (earlier) {
        if (canonicalJson(JSON.parse(earlier.raw.toString('utf8'))) !== canonicalJson(json)) {
          return fail(409, YKB_CODE.idempotencyConflict, '幂等键已用于另一请求体');
        }
        return ok(structuredClone(cases.get(earlier.platformCaseId)));
      }
      const { sxbm, ywbh } = parsed.data;
      if (!catalogByCode.has(sxbm)) return fail(404, YKB_CODE.itemNotFound, `事项不存在：${sxbm}`);
      if (byBusinessNo.has(ywbh)) return fail(409, YKB_CODE.duplicateBusinessNo, `业务编号已存在：${ywbh}`);
      const unknown = parsed.data.clqd.flatMap((material) => material.dzwjbh ?? []).filter((fileId) => !opts.files.holds(ywbh, fileId));
      if (unknown.length > 0) return fail(400, YKB_CODE.unknownFile, `业务编号 ${ywbh} 下没有电子文件：${unknown.join('、')}`);
      const sj = millisToYkbTime(now());
      caseSeq += 1;
      const bjbh = `YKB${sj.slice(0, 8)}${opts.instance}${String(caseSeq).padStart(6, '0')}`;
      const record: YkbCase = { bjbh, ywbh, sxbm, zt: '01', jdjg: null, byslyy: [], gxsj: sj, lsjl: [{ zt: '01', sj, bz: STAGE_NOTES['01'] }], dzzz: null };
      cases.set(bjbh, record);
      byBusinessNo.set(ywbh, bjbh);
      byIdempotencyKey.set(key, { raw, platformCaseId: bjbh });
      holderNames.set(bjbh, parsed.data.sqr.sqrmc);
      scheduleStep(record);
      // No copy: the reply is serialised before this turn of the event loop ends, and only a timer (a stage step) changes a case.
      return ok(record, 201);
    },
    /** Moves one case, or every open case, one stage now; returns the cases that moved. */
    advance(platformCaseId?: string): YkbCase[] {
      const targets = platformCaseId === undefined ? [...cases.values()] : [cases.get(platformCaseId)];
      if (targets[0] === undefined && platformCaseId !== undefined) {
        throw new NotFoundError('SANDBOX.CASE_NOT_FOUND', `渝快办沙箱没有办件 ${platformCaseId}`);
      }
      return targets.filter((record): record is YkbCase => record !== undefined && advanceCase(record)).map((record) => structuredClone(record));
    },
    cases: () => [...cases.values()].map((record) => structuredClone(record)),
    files: (): SandboxFileView[] => opts.files.list().map(({ fileId, businessNo, material, sha256, size }) => ({ fileId, businessNo, material, sha256, size })),
    /** Marks the certificate revoked and pushes the revocation; the case as it is now. */
    revokeCertificate(number: string, reason: string): YkbCase {
      const record = [...cases.values()].find((candidate) => candidate.dzzz?.zzbh === number);
      if (!record?.dzzz) throw new NotFoundError('SANDBOX.CERTIFICATE_NOT_FOUND', `渝快办沙箱没有证照 ${number}`);
      const zxsj = millisToYkbTime(now());
      record.dzzz = { ...record.dzzz, zxsj, zxyy: reason };
      opts.onStage(record, { yzm: record.dzzz.yzm, zxsj, zxyy: reason });
      return structuredClone(record);
    },
    /** Adds an item or replaces the one with its code, as the platform's catalog team publishing a revision. */
    publishItem(item: CatalogItem): void {
      const wire = itemToWire(item);
      const index = catalog.findIndex((existing) => existing.sxbm === wire.sxbm);
      if (index >= 0) {
        catalog[index] = wire;
      } else {
        catalog.push(wire);
        catalog.sort((a, b) => a.sxbm.localeCompare(b.sxbm));
      }
      catalogByCode.set(wire.sxbm, wire);
    },
    /** Stops the step timers. */
    close(): void {
      for (const timer of stepTimers.values()) clearTimeout(timer);
      stepTimers.clear();
    },
  };
}
