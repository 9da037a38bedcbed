import type { CatalogItem, ItemStatus } from '../../adapters/platform.port.js';
import { DomainError } from '../../domain/errors.js';

type Closed = Exclude<ItemStatus, 'AVAILABLE'>;

export class ItemNotAvailableError extends DomainError {
  constructor(item: CatalogItem, status: Closed) {
    super('CATALOG.ITEM_NOT_AVAILABLE', `事项 ${item.code}「${item.name}」${WHY[status]}（备注：${item.statusRemark ?? '无'}），不能在此受理申请`);
  }
}

const WHY: Record<Closed, string> = {
  SUSPENDED: '已暂停办理',
  DELEGATED: '已下放至下级部门办理，请向承接部门申请',
};

/**
 * Checked at receipt, before a business number is taken: a suspended item, or one whose
 * power was delegated (seed 004's 暂停 / 已下放), is listed but cannot be applied for here.
 */
export function assertApplicable(item: CatalogItem): CatalogItem {
  if (item.status === 'AVAILABLE') return item;
  throw new ItemNotAvailableError(item, item.status);
}
