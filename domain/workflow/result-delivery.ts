import { InputError } from '../errors.js';

type Delivery = 'MAIL' | 'PICKUP';

const NAME: Record<Delivery, string> = { MAIL: '邮寄送达', PICKUP: '窗口领取' };

/**
 * The result goes the way the applicant chose at receipt (收件通知书 records it):
 * a result mailed to an applicant who comes to the window for it, or held at the
 * window for one who waits for the post, reaches nobody.
 */
export function assertChosenDelivery(record: { businessNo: string; delivery: { method: Delivery } }, method: Delivery): void {
  if (record.delivery.method !== method) {
    throw new InputError(
      'CASE.DELIVERY_MISMATCH',
      `办件 ${record.businessNo} 的申请人选择${NAME[record.delivery.method]}，不能按${NAME[method]}送达结果`,
    );
  }
}
