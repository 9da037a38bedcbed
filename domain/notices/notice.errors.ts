import { InputError } from '../errors.js';

/** Lists every problem at once, so the caller fixes the case record in one pass. */
export class InvalidNoticeError extends InputError {
  readonly issues: readonly string[];

  constructor(notice: string, issues: readonly string[]) {
    super('INPUT.INVALID_NOTICE', `无法出具${notice}:\n- ${issues.join('\n- ')}`);
    this.issues = issues;
  }
}
