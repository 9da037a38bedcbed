import type { Redis } from 'ioredis';
import type { TokenVerifier } from '../lib/auth/access-token.js';
import type { Config } from '../lib/config.js';
import { DomainError } from '../domain/errors.js';
import { createFileStore, createTusDatastore } from '../lib/files/store-factory.js';
import { createTusUploads, type TusUploads, type UploadAuthorization } from '../lib/files/tus-uploads.js';
import { UPLOAD_RECORD_PREFIX, UploadRecordStore } from '../lib/files/upload-record.store.js';
import { headerValue, type StreamRoute } from '../lib/http-server.js';
import { partitionOfDivision } from '../ledger/cases/case-partitions.js';
import { WindowStore } from '../ledger/windows/window.store.js';

/** Where the receiving windows upload scans (tus 1.0), on the one gateway origin. */
export const UPLOADS_PATH = '/files/uploads';

/**
 * The scans' resumable upload endpoint. Only window staff upload, each for its
 * own window: the uploader and window recorded with a finished upload come from
 * the token, never from the client's metadata, and only a case of that window
 * can bind it (attachMaterialFile).
 */
export function scanUploads(deps: { files: Config['files']; redis: Redis; tokens: TokenVerifier }): TusUploads {
  const { files } = deps;
  const windows = new WindowStore(deps.redis);
  return createTusUploads({
    path: UPLOADS_PATH,
    datastore: createTusDatastore(files.store, files.uploadExpiryMs, files.uploadStagingDir),
    files: createFileStore(files.store),
    policy: files.policy,
    records: new UploadRecordStore(deps.redis, UPLOAD_RECORD_PREFIX),
    recordTtlMs: files.uploadExpiryMs,
    authorize: async (req): Promise<UploadAuthorization> => {
      let caller;
      try {
        caller = await deps.tokens.verify(headerValue(req.headers.authorization));
      } catch (error) {
        return { deny: 401, code: error instanceof DomainError ? error.code : 'AUTH.UNAUTHENTICATED', message: '未登录或登录已失效：请求头 Authorization: Bearer <令牌>' };
      }
      if (caller.role !== 'WINDOW_STAFF' || !caller.windowId) {
        return { deny: 403, code: 'AUTH.FORBIDDEN', message: '仅收件窗口工作人员可上传扫描件' };
      }
      const [window] = await windows.getMany([caller.windowId]);
      if (!window) return { deny: 403, code: 'AUTH.FORBIDDEN', message: `窗口 ${caller.windowId} 不在窗口目录中` };
      return { allow: { userId: `${caller.role}:${caller.subject}`, windowId: caller.windowId, partition: partitionOfDivision(window.divisionCode) } };
    },
  });
}

export function uploadsRoute(uploads: TusUploads): StreamRoute {
  return { path: UPLOADS_PATH, handle: (req, res) => uploads.handle(req, res) };
}
