import { DomainError } from '../../domain/errors.js';

/**
 * A file refused or missing. `status` is what an HTTP answer (the tus upload
 * endpoint, a download) says; the GraphQL boundary uses `code` like any DomainError.
 */
export class FileError extends DomainError {
  constructor(
    code: string,
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export const ALLOWED_TYPES_TEXT = 'PDF, OFD, JPEG or PNG';

export class FileTypeNotAllowedError extends FileError {
  constructor(readonly detected: string | undefined) {
    super('FILE.TYPE_NOT_ALLOWED', 415, `only ${ALLOWED_TYPES_TEXT} files are accepted; this file is ${detected ?? 'of an unknown type'}`);
  }
}

export class FileTooLargeError extends FileError {
  constructor(readonly maxBytes: number) {
    super('FILE.TOO_LARGE', 413, `a file may hold at most ${maxBytes} bytes`);
  }
}

export class CaseFilesLimitError extends FileError {
  constructor(
    readonly maxBytes: number,
    readonly heldBytes: number,
  ) {
    super('FILE.CASE_LIMIT_EXCEEDED', 413, `the files of a case may hold at most ${maxBytes} bytes together; it holds ${heldBytes} already`);
  }
}

export class PdfUnreadableError extends FileError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('FILE.PDF_UNREADABLE', 422, `the PDF cannot be read: ${reason}`, options);
  }
}

export class TooManyPagesError extends FileError {
  constructor(
    readonly pages: number,
    readonly maxPages: number,
  ) {
    super('FILE.TOO_MANY_PAGES', 422, `a PDF may have at most ${maxPages} pages; this one has ${pages}`);
  }
}

export class DigestMismatchError extends FileError {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super('FILE.DIGEST_MISMATCH', 422, `the file's SHA-256 is ${actual}, not the ${expected} announced`);
  }
}

export class FileNotFoundError extends FileError {
  constructor(what: string) {
    super('FILE.NOT_FOUND', 404, `no file ${what}`);
  }
}
