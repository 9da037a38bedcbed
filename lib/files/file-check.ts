import type { Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import { PDFDocument } from 'pdf-lib';
import { assertObjectStreamsBounded } from './pdf-object-streams.js';
import {
  CaseFilesLimitError,
  FileTooLargeError,
  FileTypeNotAllowedError,
  PdfUnreadableError,
  TooManyPagesError,
} from './file-errors.js';
import { readBounded, type FileStore, type StagedFile, type StoredFile } from './file-store.js';
import { zipEntryNames } from './zip-directory.js';

export type FileKind = 'PDF' | 'OFD' | 'JPEG' | 'PNG';

export const MIME_TYPES: Record<FileKind, string> = {
  PDF: 'application/pdf',
  OFD: 'application/ofd',
  JPEG: 'image/jpeg',
  PNG: 'image/png',
};

export interface FilePolicy {
  maxFileBytes: number;
  caseMaxBytes: number;
  pdfMaxPages: number;
}

export interface FileVerdict {
  type: FileKind;
  mime: string;
  /** PDFs only. */
  pages: number | undefined;
}

export interface AcceptedFile extends StoredFile, FileVerdict {
  /** False when the same bytes were stored already (another case, or the same scan twice). */
  created: boolean;
}

export interface AcceptOptions {
  /** What the case's files hold already, in bytes. */
  caseHeldBytes: number;
  expectedSha256?: string;
}

/**
 * Stores a file only if it passes every check: its bytes are staged (hashed and
 * counted as they stream, cut off at the first byte over a limit), checked, and
 * only then moved to their address. A refusal leaves nothing stored.
 */
export async function acceptFile(store: FileStore, source: Readable, policy: FilePolicy, options: AcceptOptions): Promise<AcceptedFile> {
  const room = policy.caseMaxBytes - options.caseHeldBytes;
  if (room <= 0) {
    source.destroy();
    throw new CaseFilesLimitError(policy.caseMaxBytes, options.caseHeldBytes);
  }
  let staged: StagedFile;
  try {
    staged = await store.stage(source, { maxBytes: Math.min(policy.maxFileBytes, room), expectedSha256: options.expectedSha256 });
  } catch (error) {
    if (error instanceof FileTooLargeError && room < policy.maxFileBytes) throw new CaseFilesLimitError(policy.caseMaxBytes, options.caseHeldBytes);
    throw error;
  }
  try {
    const verdict = await checkStagedFile(staged, policy);
    const committed = await staged.commit();
    return { ...committed, ...verdict };
  } catch (error) {
    await staged.discard();
    throw error;
  }
}

/** For the ledger when it binds a file checked earlier: the case may have grown since. */
export function assertCaseRoom(heldBytes: number, size: number, policy: FilePolicy): void {
  if (heldBytes + size > policy.caseMaxBytes) throw new CaseFilesLimitError(policy.caseMaxBytes, heldBytes);
}

/** The type comes from the bytes, never from the name or the client's content type. */
export async function checkStagedFile(file: StagedFile, policy: FilePolicy): Promise<FileVerdict> {
  const detected = await fileTypeFromBuffer(file.head);
  switch (detected?.ext) {
    case 'pdf':
      return { type: 'PDF', mime: MIME_TYPES.PDF, pages: await countPdfPages(file, policy.pdfMaxPages) };
    case 'jpg':
      return { type: 'JPEG', mime: MIME_TYPES.JPEG, pages: undefined };
    case 'png':
      return { type: 'PNG', mime: MIME_TYPES.PNG, pages: undefined };
    case 'zip':
      // GB/T 33190: an OFD is a zip package with its entry file OFD.xml at the root.
      if ((await zipEntryNames(file))?.includes('OFD.xml')) return { type: 'OFD', mime: MIME_TYPES.OFD, pages: undefined };
      throw new FileTypeNotAllowedError('a zip archive');
    default:
      throw new FileTypeNotAllowedError(detected?.mime);
  }
}

/**
 * pdf-lib parses from memory, so the PDF is read whole here, once, bounded by
 * FILE_MAX_BYTES; the store itself never holds a file.
 */
async function countPdfPages(file: StagedFile, maxPages: number): Promise<number> {
  const bytes = await readBounded(await file.read(), file.size);
  assertObjectStreamsBounded(bytes);
  let pages: number | 'encrypted';
  try {
    // Loaded despite encryption to tell it apart: pdf-lib's EncryptedPDFError fails instanceof (ES5 build).
    const document = await PDFDocument.load(bytes, { updateMetadata: false, ignoreEncryption: true });
    pages = document.isEncrypted ? 'encrypted' : document.getPageCount();
  } catch (error) {
    throw new PdfUnreadableError('it is damaged or truncated', { cause: error });
  }
  if (pages === 'encrypted') throw new PdfUnreadableError('it is encrypted');
  if (pages === 0) throw new PdfUnreadableError('it has no pages');
  if (pages > maxPages) throw new TooManyPagesError(pages, maxPages);
  return pages;
}
