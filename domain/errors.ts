/**
 * Base of every error the system raises on purpose. The namespaced `code`
 * (e.g. `CASE.NOT_FOUND`) is the stable contract clients branch on; the
 * message is for people and may change.
 */
export class DomainError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class InputError extends DomainError {}

export class NotFoundError extends DomainError {}
