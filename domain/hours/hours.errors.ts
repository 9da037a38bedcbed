import { InputError } from '../errors.js';

export class InvalidHoursError extends InputError {
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    super('INPUT.INVALID_HOURS', `办公时间格式不正确:\n- ${issues.join('\n- ')}`);
    this.issues = issues;
  }
}
