import { DomainError, InputError, NotFoundError } from '../../domain/errors.js';
import { partitionOfCase } from '../cases/case-partitions.js';
import type { CaseRecord, MaterialScan } from '../cases/case.model.js';
import type { CaseTransitions } from './case-transition.js';

/** Enough for a 50-material application with a few scans each; the byte limit per case is the real bound. */
const MAX_SCANS = 200;

const normalise = (name: string) => name.replace(/\s+/g, '');

const uploadNotFound = () => new NotFoundError('FILE.UPLOAD_NOT_FOUND', '上传的文件不存在、已过期或已用于其他材料');

/** The scans a case's materials still lack to travel online: every qualified material travels when the channel is ONLINE or BOTH. */
export function materialsWithoutScan(record: CaseRecord): string[] {
  const scanned = new Set((record.scans ?? []).map((scan) => scan.material));
  return record.materials.filter((material) => material.verdict === 'QUALIFIED' && !scanned.has(material.name)).map((material) => material.name);
}

/**
 * When the materials finished travelling online: when the case was forwarded
 * with every scan acknowledged by the owning platform under its digest (the
 * online-transfer deadline is met then, not when the first byte left).
 */
export function onlineTransferDoneAt(record: CaseRecord): string | null {
  const forwardedAt = record.transfer?.forwardedAt ?? null;
  if (!forwardedAt || (record.scans ?? []).some((scan) => !scan.acknowledgedAt)) return null;
  return forwardedAt;
}

/** 扫描件: the receiving window binds each material's scans to the case before the materials leave it. */
export class ScansStage {
  constructor(private readonly t: CaseTransitions) {}

  /**
   * Binds a finished upload to one of the case's materials. The upload's record
   * is claimed in the case's own write, so one upload is bound once; a retry of
   * an attach that landed finds its scan and answers the case.
   */
  async attachMaterialFile(businessNo: string, material: string, uploadId: string, actor: string): Promise<CaseRecord> {
    const partition = partitionOfCase(businessNo);
    const [upload, current] = await Promise.all([this.t.deps.uploads.find(uploadId, partition), this.t.get(businessNo)]);
    if (this.bound(current, material, uploadId)) return current;
    // Another window's upload is reported as missing: its id tells nobody else anything.
    if (!upload || upload.windowId !== current.receivingWindowId) throw uploadNotFound();
    return this.t.apply(businessNo, 'ATTACH_SCAN', actor, (record, now) => {
      const reviewed = this.material(record, material);
      const scans = record.scans ?? [];
      if (this.bound(record, material, uploadId)) return null;
      if (scans.length >= MAX_SCANS) throw new InputError('FILE.TOO_MANY_SCANS', `一件办件最多附 ${MAX_SCANS} 个扫描件`);
      const held = scans.reduce((sum, scan) => sum + scan.size, 0);
      if (held + upload.size > this.t.deps.caseFilesMaxBytes) {
        throw new DomainError('FILE.CASE_LIMIT_EXCEEDED', `本办件的扫描件合计不能超过 ${Math.floor(this.t.deps.caseFilesMaxBytes / 2 ** 20)} MB`);
      }
      const scan: MaterialScan = {
        material: reviewed,
        uploadId,
        sha256: upload.sha256,
        size: upload.size,
        type: upload.type,
        pages: upload.pages,
        attachedAt: now,
        attachedBy: actor,
        platformFileId: null,
        acknowledgedAt: null,
      };
      return {
        record: { ...record, scans: [...scans, scan] },
        type: 'MATERIAL_SCAN_ATTACHED',
        data: { material: reviewed, sha256: upload.sha256, size: upload.size, type: upload.type, pages: upload.pages },
        claims: { keys: [this.t.deps.uploads.recordKey(uploadId, partition)], gone: uploadNotFound },
      };
    }, undefined, current);
  }

  /**
   * The owning platform holds the scan: its file id and when it said so (its
   * clock, bounded to ours). Recorded once; `read` as in recordForwarded.
   */
  recordScanTransferred(
    businessNo: string,
    sha256: string,
    receipt: { fileId: string; receivedAt: string },
    actor: string,
    read?: CaseRecord,
  ): Promise<CaseRecord> {
    return this.t.apply(businessNo, 'PLATFORM_PROGRESS', actor, (record, now) => {
      const scans = record.scans ?? [];
      const pending = scans.filter((scan) => scan.sha256 === sha256 && !scan.platformFileId);
      if (pending.length === 0) return null;
      const at = this.t.outsideInstant('platform', receipt.receivedAt, record, now, record.transfer?.dispatchedAt);
      return {
        record: {
          ...record,
          scans: scans.map((scan) => (pending.includes(scan) ? { ...scan, platformFileId: receipt.fileId, acknowledgedAt: at } : scan)),
        },
        type: 'MATERIAL_SCAN_TRANSFERRED',
        data: { sha256, fileId: receipt.fileId, materials: pending.map((scan) => scan.material), platformAt: receipt.receivedAt },
      };
    }, undefined, read);
  }

  /** Takes a scan attached by mistake off a material; taking off one that is not there changes nothing. */
  removeMaterialFile(businessNo: string, material: string, sha256: string, actor: string): Promise<CaseRecord> {
    return this.t.apply(businessNo, 'ATTACH_SCAN', actor, (record) => {
      const reviewed = this.material(record, material);
      const scans = record.scans ?? [];
      const kept = scans.filter((scan) => !(scan.material === reviewed && scan.sha256 === sha256));
      if (kept.length === scans.length) return null;
      return { record: { ...record, scans: kept }, type: 'MATERIAL_SCAN_REMOVED', data: { material: reviewed, sha256 } };
    });
  }

  /** Whether the upload is this material's scan already (a retry); bound to another material, it is gone for this one. */
  private bound(record: CaseRecord, material: string, uploadId: string): boolean {
    const scan = (record.scans ?? []).find((candidate) => candidate.uploadId === uploadId);
    if (!scan) return false;
    if (scan.material !== this.material(record, material)) throw uploadNotFound();
    return true;
  }

  /** The case's material of that name, as the review recorded it; a scan of a material never handed in is refused. */
  private material(record: CaseRecord, name: string): string {
    const found = record.materials.find((material) => normalise(material.name) === normalise(name));
    if (!found) throw new InputError('CASE.MATERIAL_NOT_FOUND', `办件 ${record.businessNo} 没有名为“${name}”的材料`);
    if (found.verdict === 'MISSING') throw new InputError('CASE.MATERIAL_NOT_HANDED_IN', `材料“${found.name}”未提交，不能附扫描件`);
    return found.name;
  }
}
