import { DomainError, InputError } from '../../domain/errors.js';
import type { CaseRecord } from '../cases/case.model.js';
import type { CaseTransitions } from './case-transition.js';

/** 好差评: the applicant's evaluation of a case. */
export class EvaluationStage {
  constructor(private readonly t: CaseTransitions) {}

  /** 好差评: once per case, 1 (非常不满意) to 5 (非常满意). */
  evaluate(businessNo: string, score: number, comment: string | null | undefined, actor: string): Promise<CaseRecord> {
    if (!Number.isInteger(score) || score < 1 || score > 5) {
      throw new InputError('INPUT.INVALID_SCORE', '评价分值应为 1 至 5 的整数');
    }
    const text = comment?.trim() || null;
    if (text && text.length > 500) throw new InputError('INPUT.COMMENT_TOO_LONG', '评价内容不能超过 500 字');
    return this.t.apply(businessNo, 'EVALUATE', actor, (record, now) => {
      if (record.evaluation) throw new DomainError('CASE.ALREADY_EVALUATED', '该办件已评价');
      return { record: { ...record, evaluation: { score, comment: text, at: now } }, type: 'EVALUATED', data: { score } };
    });
  }
}
