import type { IncomingMessage, ServerResponse } from 'node:http';
import { finished } from 'node:stream/promises';
import { Server, type Upload } from '@tus/server';
import { acceptFile, type FilePolicy } from './file-check.js';
import { FileError } from './file-errors.js';
import type { FileStore } from './file-store.js';
import type { TusDatastore } from './store-factory.js';
import type { Uploader, UploadRecord, UploadRecordStore } from './upload-record.store.js';

export type UploadAuthorization = { allow: Uploader } | { deny: 401 | 403; code: string; message: string };

export interface TusUploadsOptions {
  /** Where the endpoint is mounted, e.g. `/files/uploads`. */
  path: string;
  datastore: TusDatastore;
  files: FileStore;
  policy: FilePolicy;
  records: UploadRecordStore;
  /** How long a finished upload waits to be bound before its record lapses. */
  recordTtlMs: number;
  /** Every request but a CORS preflight: the gateway checks the token and the role here. */
  authorize(req: IncomingMessage): UploadAuthorization | Promise<UploadAuthorization>;
  /** What the case the upload is for already holds (from its Upload-Metadata, e.g. `businessNo`); 0 when not given. */
  caseHeldBytes?(metadata: Record<string, string | null>): Promise<number>;
  now?: () => Date;
}

export interface TusUploads {
  server: Server;
  /**
   * Authorizes, then lets tus answer; for a plain node server or a streaming
   * route of the gateway. Rejects only when `authorize` does.
   */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** Metadata the server sets from the authorized caller; a client's values for them are dropped. */
const SERVER_METADATA = ['uploadedBy', 'windowId', 'partition'] as const;
const TUS_METHODS = new Set(['POST', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Resumable uploads (tus 1.0) of scans. A finished upload is checked and moved
 * into the content-addressed FileStore by `onUploadFinish`, recorded in Redis
 * for binding to a case (`UploadRecordStore.find`), and removed from the tus datastore whatever the verdict:
 * a bad file answers its client with the error's status and `{code, message}`
 * and leaves nothing behind. Only the caller who created an upload may resume,
 * inspect or delete it.
 */
export function createTusUploads(options: TusUploadsOptions): TusUploads {
  const { datastore, files, policy, records, recordTtlMs } = options;
  const now = options.now ?? (() => new Date());
  const callers = new WeakMap<object, Uploader>();

  const callerOf = (req: { runtime?: { node?: { req: object } } }): Uploader => {
    const caller = req.runtime?.node?.req && callers.get(req.runtime.node.req);
    if (!caller) throw refusal(401, 'AUTH.UNAUTHENTICATED', 'the upload endpoint is reached only through authorize');
    return caller;
  };

  const server = new Server({
    path: options.path,
    datastore,
    maxSize: policy.maxFileBytes,
    relativeLocation: true,
    exposedHeaders: ['Tongban-File-Sha256', 'Tongban-File-Type'],
    async onIncomingRequest(req, uploadId) {
      if (req.method === 'POST') return;
      const caller = callerOf(req);
      const upload = await datastore.getUpload(uploadId);
      if (upload.metadata?.uploadedBy !== caller.userId || upload.metadata?.windowId !== caller.windowId) {
        throw refusal(403, 'AUTH.FORBIDDEN', 'this upload was started by someone else');
      }
    },
    async onUploadCreate(req, upload) {
      const caller = callerOf(req);
      await records.opened(upload.id, now());
      const metadata = { ...upload.metadata };
      for (const name of SERVER_METADATA) delete metadata[name];
      return { metadata: { ...metadata, uploadedBy: caller.userId, windowId: caller.windowId, partition: caller.partition } };
    },
    async onUploadFinish(_req, upload) {
      const record = await finish(upload);
      return { headers: { 'Tongban-File-Sha256': record.sha256, 'Tongban-File-Type': record.type } };
    },
  });

  async function finish(upload: Upload): Promise<UploadRecord> {
    const metadata = upload.metadata ?? {};
    const source = await datastore.read(upload.id);
    try {
      const caseHeldBytes = options.caseHeldBytes ? await options.caseHeldBytes(metadata) : 0;
      const file = await acceptFile(files, source, policy, { caseHeldBytes });
      const record: UploadRecord = {
        uploadId: upload.id,
        sha256: file.sha256,
        size: file.size,
        type: file.type,
        mime: file.mime,
        pages: file.pages ?? null,
        uploadedBy: metadata.uploadedBy ?? '',
        windowId: metadata.windowId ?? '',
        filename: metadata.filename ?? null,
        finishedAt: now().toISOString(),
      };
      await records.save(record, metadata.partition ?? '', recordTtlMs);
      return record;
    } catch (error) {
      if (error instanceof FileError) throw refusal(error.status, error.code, error.message);
      throw error;
    } finally {
      // A file refused before it was read is still being opened: closed first, it cannot find itself removed.
      source.destroy();
      await finished(source).catch(() => undefined);
      // The bytes are in the FileStore now, or refused: the tus copy has served either way.
      await datastore.remove(upload.id);
      await records.closed(upload.id);
    }
  }

  return {
    server,
    async handle(req, res) {
      if (!TUS_METHODS.has(req.method ?? '')) {
        answer(res, 405, 'UPLOAD.METHOD_NOT_ALLOWED', `${req.method} is not part of the upload protocol here`, { allow: [...TUS_METHODS].join(', ') });
        return;
      }
      if (req.method !== 'OPTIONS') {
        const verdict = await options.authorize(req);
        if ('deny' in verdict) {
          answer(res, verdict.deny, verdict.code, verdict.message);
          return;
        }
        callers.set(req, verdict.allow);
      }
      await server.handle(req, res);
    },
  };
}

/** What tus sends back when a hook throws it: the status and a JSON body with the stable code. */
function refusal(status: number, code: string, message: string): { status_code: number; body: string } {
  return { status_code: status, body: JSON.stringify({ code, message }) };
}

function answer(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'tus-resumable': '1.0.0', ...headers });
  res.end(JSON.stringify({ code, message }));
}

/**
 * For the workers' schedule: removes, with what they had received, the uploads
 * created longer than `expiryMs` ago and not finished (tus refuses to resume
 * them by then), and those a crash left complete but never checked; and bytes
 * a crash left staged in the FileStore (a check takes seconds). It goes by the
 * index of uploads under way rather than by the datastore's own `deleteExpired`,
 * which on S3 needs ListMultipartUploads and forgets complete uploads.
 */
export async function cleanUpExpiredUploads(
  datastore: TusDatastore,
  files: FileStore,
  records: UploadRecordStore,
  expiryMs: number,
  now = new Date(),
): Promise<{ uploads: number; staged: number }> {
  const before = new Date(now.getTime() - expiryMs);
  let uploads = 0;
  for (const uploadId of await records.openedBefore(before)) {
    if (await removeUpload(datastore, uploadId)) uploads++;
    await records.closed(uploadId);
  }
  const staged = await files.sweepStaged(before);
  return { uploads, staged };
}

/** False when it was gone already (terminated by its client, or never created). */
async function removeUpload(datastore: TusDatastore, uploadId: string): Promise<boolean> {
  try {
    await datastore.remove(uploadId);
    return true;
  } catch (error) {
    if ((error as { status_code?: number }).status_code === 404) return false;
    throw error;
  }
}
