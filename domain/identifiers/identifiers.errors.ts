import { InputError } from '../errors.js';

export type IdentifierKind = 'RESIDENT_ID' | 'USCC' | 'PHONE' | 'DIVISION_CODE' | 'POSTCODE' | 'EMAIL';

/**
 * What is wrong, for callers that react differently (a front end can highlight the
 * check character rather than the whole field) without parsing the Chinese message.
 */
export type IdentifierFault =
  | 'MISSING'
  | 'LENGTH'
  | 'CHARACTERS'
  | 'DIVISION'
  | 'BIRTH_DATE'
  | 'REGISTRATION_AUTHORITY'
  | 'CHECK_CHARACTER'
  | 'FORMAT';

/**
 * Messages never repeat the rejected value: ID numbers, phones and e-mail addresses
 * are personal data (seed 002 第九条) and error messages end up in logs.
 */
export class InvalidIdentifierError extends InputError {
  readonly kind: IdentifierKind;
  readonly fault: IdentifierFault;

  constructor(kind: IdentifierKind, fault: IdentifierFault, message: string) {
    super(`INPUT.INVALID_${kind}`, message);
    this.kind = kind;
    this.fault = fault;
  }
}
