import { MIME_TYPES } from '../../lib/files/file-check.js';
import { FileError } from '../../lib/files/file-errors.js';
import type { FileStore } from '../../lib/files/file-store.js';
import { json, type HttpResponse, type Route } from '../../lib/http-server.js';
import type { CaseStore } from '../../ledger/cases/case.store.js';
import type { CaseRecord, ScanType } from '../../ledger/cases/case.model.js';
import type { NoticeLinks } from './notice-link.signer.js';
import { recordPersonalDataRead } from './personal-data.audit.js';

/** Where a case's file is downloaded: one path per case and digest, opened only through a signed link. */
export function fileDownloadPath(businessNo: string, sha256: string): string {
  return `/files/${encodeURIComponent(businessNo)}/${sha256}`;
}

/** A file the case holds under that digest: a scan of its materials, or its e-certificate. */
function fileOf(record: CaseRecord, sha256: string): { type: ScanType; label: string } | null {
  if (record.certificate?.sha256 === sha256) return { type: 'PDF', label: `certificate:${record.certificate.number}` };
  const scans = (record.scans ?? []).filter((scan) => scan.sha256 === sha256);
  if (scans.length === 0) return null;
  return { type: scans[0]!.type, label: scans.map((scan) => scan.material).join('、') };
}

/**
 * The files of a case, streamed from the file store to whoever holds a link
 * from `MaterialScan.downloadUrl`, which is issued only to the staff of the
 * case's two windows and lasts minutes. A scan shows a person's documents, so
 * every download is recorded in the case's trail before a byte leaves.
 */
export function fileDownloadRoute(deps: { store: CaseStore; files: FileStore; links: NoticeLinks; now: () => Date }): Route {
  return {
    method: 'GET',
    path: '/files/*',
    handler: async (request): Promise<HttpResponse> => {
      const [businessNo, sha256, ...rest] = request.path.split('/').slice(2).map(decodeURIComponent);
      const now = deps.now();
      const actor = deps.links.verify(request.path, request.search, now);
      if (!actor) return json(401, { error: { code: 'AUTH.FILE_LINK_INVALID', message: '下载链接无效或已过期，请重新获取（MaterialScan.downloadUrl）' } });
      const record = businessNo && sha256 && rest.length === 0 ? await deps.store.get(businessNo) : null;
      const file = record && fileOf(record, sha256!);
      if (!record || !file) return json(404, { error: { code: 'FILE.NOT_FOUND', message: '文件不存在' } });
      let body;
      try {
        body = await deps.files.get(sha256!);
      } catch (error) {
        if (!(error instanceof FileError)) throw error;
        return json(404, { error: { code: error.code, message: '文件不存在' } });
      }
      await recordPersonalDataRead(deps.store, {
        businessNo: record.businessNo,
        actor,
        at: now.toISOString(),
        fields: [file.label.startsWith('certificate:') ? file.label : `scans:${file.label}`],
        reason: { purpose: 'DOWNLOAD_FILE', note: sha256! },
      }).catch((error: unknown) => {
        body.destroy();
        throw error;
      });
      const extension = file.type === 'JPEG' ? 'jpg' : file.type.toLowerCase();
      return {
        status: 200,
        headers: {
          'content-type': MIME_TYPES[file.type],
          'content-disposition': `attachment; filename="${record.businessNo}-${sha256!.slice(0, 12)}.${extension}"`,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        },
        body,
      };
    },
  };
}
