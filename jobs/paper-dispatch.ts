import type { CourierParty, CourierPort } from '../adapters/courier/courier.port.js';
import { DomainError, NotFoundError } from '../domain/errors.js';
import { casePartiesOf } from '../lib/case-access.policy.js';
import { SCOPE_NAME } from '../domain/workflow/scope.js';
import type { CaseRecord } from '../ledger/cases/case.model.js';
import { cityLevelAddress } from '../ledger/shipments/address.formatter.js';
import { costBearerOf } from '../ledger/shipments/cost-bearer.policy.js';
import type { ShipmentRecord } from '../ledger/shipments/shipment.model.js';
import type { ShipmentStore } from '../ledger/shipments/shipment.store.js';
import type { WindowRecord } from '../ledger/windows/window.model.js';

export interface PaperDispatchDeps {
  courier: CourierPort;
  shipments: ShipmentStore;
  directory: { getMany(ids: readonly string[]): Promise<(WindowRecord | null)[]> };
}

/**
 * 线下流转 (seed 000 二(二)): orders the 政务专递 waybill that takes a case's paper
 * materials from the receiving window to the jurisdiction window, and records it.
 * Safe to repeat: a case that has its materials shipment gets it back without a
 * call, and the idempotency key makes a repeated order — after a lost answer, or a
 * crash before the shipment was recorded — return the waybill the first one made.
 */
export async function dispatchPaper(deps: PaperDispatchDeps, record: CaseRecord): Promise<ShipmentRecord> {
  const { businessNo, transfer } = record;
  if (!transfer || transfer.channel === 'ONLINE') {
    throw new DomainError('SHIPMENT.NO_PAPER_TRANSFER', `办件 ${businessNo} 未选择纸质材料流转`);
  }
  const [recorded = []] = await deps.shipments.listByCases([businessNo]);
  const existing = recorded.find((shipment) => shipment.purpose === 'MATERIALS');
  if (existing) return existing;

  const [from, to] = await deps.directory.getMany([record.receivingWindowId, record.jurisdictionWindowId]);
  if (!from) throw new NotFoundError('WINDOW.NOT_FOUND', `收件地窗口 ${record.receivingWindowId} 不存在`);
  if (!to) throw new NotFoundError('WINDOW.NOT_FOUND', `属地窗口 ${record.jurisdictionWindowId} 不存在`);
  const contents = record.materials.filter((material) => material.verdict === 'QUALIFIED').map((material) => material.name);
  const costBearer = costBearerOf(record.scope);

  const waybill = await deps.courier.createWaybill({
    idempotencyKey: `${businessNo}-materials`,
    businessNo,
    purpose: 'MATERIALS',
    sender: partyOf(from),
    recipient: partyOf(to),
    contents,
    costBearer,
    note: `${SCOPE_NAME[record.scope]}材料流转`,
  });
  return deps.shipments.create(
    {
      waybillNo: waybill.waybillNo,
      businessNo,
      parties: casePartiesOf(record),
      purpose: 'MATERIALS',
      fromWindowId: from.id,
      toWindowId: to.id,
      toAddress: cityLevelAddress(to.contact.mailingAddress),
      contents,
      costBearer,
      sendBy: transfer.paperDueAt,
      createdAt: waybill.createdAt,
    },
    // Only the order itself: whatever the courier did since reaches the store through tracking, which owes its effects to the case.
    waybill.events[0]!,
  );
}

/** The window is the party, not its contact person: the envelope is for the office whoever is on duty. */
function partyOf(window: WindowRecord): CourierParty {
  return {
    name: window.name,
    phone: window.contact.phone,
    address: window.contact.mailingAddress,
    postcode: window.contact.postcode,
    divisionCode: window.divisionCode,
  };
}
