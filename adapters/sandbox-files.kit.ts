/**
 * The files a platform sandbox holds: uploads streamed to disk while hashed (never held in
 * memory), checked against the declared digest and size, kept once per (business number,
 * digest); and files the sandbox makes itself (certificate PDFs), whose bytes may still be
 * on their way when their id is handed out. The directory is the caller's `dir`, or a
 * temporary one removed on close.
 *
 * Development and integration tests only; nothing in it is for production.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { mkdir, mkdtemp, unlink, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Reads and drops what is left of a body, so that a refusal sent before the body arrived reaches the client. */
export function drainBody(req: IncomingMessage): Promise<void> {
  return pipeline(req, new Writable({ write: (_chunk, _encoding, callback) => callback() })).catch(() => undefined);
}

export interface FileDescription {
  businessNo: string;
  material: string;
  sha256: string;
  size: number;
  contentType: string;
}

/** What `files()` shows of one held file. */
export interface HeldFile extends FileDescription {
  fileId: string;
  /** Unix ms. */
  receivedAt: number;
}

export type Reception =
  | { kind: 'received'; /** Keeps the file (or finds the one held for the same business number and digest). */ commit(): { file: HeldFile; created: boolean }; discard(): Promise<void> }
  | { kind: 'digestMismatch'; actual: string }
  /** The body ended short of its Content-Length, or the connection went (a drop fault included). */
  | { kind: 'incomplete'; received: number };

export interface SandboxFileStore {
  receive(req: IncomingMessage, declared: FileDescription, opts?: { dropAfterBytes?: number }): Promise<Reception>;
  /** Registers a file the sandbox makes; its id is usable at once, its bytes once `bytes` resolves. */
  make(meta: Omit<FileDescription, 'sha256' | 'size'>, bytes: Promise<Uint8Array>): string;
  /** The file and a stream of its bytes; null when the store holds no such file. */
  open(fileId: string): Promise<{ file: HeldFile; body: Readable } | null>;
  holds(businessNo: string, fileId: string): boolean;
  find(fileId: string): HeldFile | undefined;
  list(): HeldFile[];
  /** Resolves when every made file is on disk. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

interface Entry {
  file: HeldFile;
  path: string;
  ready: Promise<void>;
}

export async function createSandboxFileStore(opts: { dir?: string; newFileId: () => string; now: () => number }): Promise<SandboxFileStore> {
  const owned = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'tongban-sandbox-files-')));
  if (!owned) await mkdir(dir, { recursive: true });
  const entries = new Map<string, Entry>();
  const byDigest = new Map<string, string>();
  const pending = new Set<Promise<void>>();
  const digestKey = (businessNo: string, sha256: string) => `${businessNo}\n${sha256}`;

  function register(file: HeldFile, path: string, ready: Promise<void>): void {
    entries.set(file.fileId, { file, path, ready });
    byDigest.set(digestKey(file.businessNo, file.sha256), file.fileId);
  }

  return {
    async receive(req, declared, receiveOpts = {}) {
      const path = join(dir, `upload-${randomUUID()}`);
      const hash = createHash('sha256');
      let received = 0;
      const drop = receiveOpts.dropAfterBytes;
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          if (drop !== undefined && received + chunk.length > drop) {
            // The platform dropping the connection mid-file, as the drop fault asks.
            req.socket.destroy();
            return callback(new Error('connection dropped mid-file'));
          }
          received += chunk.length;
          hash.update(chunk);
          callback(null, chunk);
        },
      });
      try {
        await pipeline(req, meter, createWriteStream(path));
      } catch {
        await unlink(path).catch(() => undefined);
        return { kind: 'incomplete', received };
      }
      const actual = hash.digest('hex');
      if (received !== declared.size) {
        await unlink(path).catch(() => undefined);
        return { kind: 'incomplete', received };
      }
      if (actual !== declared.sha256) {
        await unlink(path).catch(() => undefined);
        return { kind: 'digestMismatch', actual };
      }
      const discard = () => unlink(path).catch(() => undefined);
      return {
        kind: 'received',
        discard,
        commit() {
          const existing = byDigest.get(digestKey(declared.businessNo, declared.sha256));
          if (existing !== undefined) {
            void discard();
            return { file: { ...entries.get(existing)!.file }, created: false };
          }
          const file: HeldFile = { ...declared, fileId: opts.newFileId(), receivedAt: opts.now() };
          register(file, path, Promise.resolve());
          return { file: { ...file }, created: true };
        },
      };
    },
    make(meta, bytes) {
      const fileId = opts.newFileId();
      const path = join(dir, `made-${fileId}`);
      const file: HeldFile = { ...meta, fileId, sha256: '', size: 0, receivedAt: opts.now() };
      const ready = bytes.then(async (content) => {
        await writeFile(path, content);
        file.sha256 = createHash('sha256').update(content).digest('hex');
        file.size = content.length;
        byDigest.set(digestKey(file.businessNo, file.sha256), fileId);
      });
      entries.set(fileId, { file, path, ready });
      // Handled here so that a failed render is a failed download, not an unhandled rejection.
      const tracked: Promise<void> = ready.catch(() => undefined).finally(() => pending.delete(tracked));
      pending.add(tracked);
      return fileId;
    },
    async open(fileId) {
      const entry = entries.get(fileId);
      if (!entry) return null;
      await entry.ready;
      return { file: { ...entry.file }, body: createReadStream(entry.path) };
    },
    holds: (businessNo, fileId) => entries.get(fileId)?.file.businessNo === businessNo,
    find: (fileId) => {
      const entry = entries.get(fileId);
      return entry && { ...entry.file };
    },
    list: () => [...entries.values()].map((entry) => ({ ...entry.file })),
    settled: async () => {
      await Promise.allSettled([...pending]);
    },
    async close() {
      if (pending.size > 0) await Promise.allSettled([...pending]);
      // Synchronously: close() must not take more turns of the event loop than before there were files, callers time it.
      if (owned) rmSync(dir, { recursive: true, force: true });
    },
  };
}
