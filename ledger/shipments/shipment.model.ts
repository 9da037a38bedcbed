import type { CostBearer, WaybillEvent, WaybillPurpose, WaybillState } from '../../adapters/courier/courier.port.js';
import type { CaseParties } from '../../lib/case-access.policy.js';

export type ShipmentPurpose = WaybillPurpose;
export type ShipmentState = WaybillState;
export type ShipmentEvent = WaybillEvent;
export type { CostBearer };

/** Milestones the case acts on; each reaches the case once (see `effects`). */
export type ShipmentMilestone = 'COLLECTED' | 'DELIVERED';

/**
 * A milestone whose effect on the case is owed. The job that reached it claims it,
 * so a retry of that job runs it again but no other job runs it a second time;
 * it is removed once the case has taken it.
 */
export interface PendingEffect {
  milestone: ShipmentMilestone;
  at: string;
  claimant: string;
}

/** Fixed when the waybill is ordered. */
export interface ShipmentOrder {
  waybillNo: string;
  businessNo: string;
  /** The case's windows and regions: a waybill is seen by exactly those who may see its case (lib/case-access.policy.ts). */
  parties: CaseParties;
  purpose: ShipmentPurpose;
  fromWindowId: string;
  /** The receiving or jurisdiction window; null when a result goes to the applicant. */
  toWindowId: string | null;
  /**
   * City level only (四川省成都市): the full address stays with the case, whose reads
   * are authorised and audited; a shipment list must not become a way around that.
   */
  toAddress: string | null;
  contents: string[];
  costBearer: CostBearer;
  /** Latest collection that keeps the transfer deadline (材料 2 个工作日内寄出); null when none applies. */
  sendBy: string | null;
  createdAt: string;
}

export interface ShipmentRecord extends ShipmentOrder {
  /** Bumped by every change; a change is written only over the version it was computed from. */
  version: number;
  /** The state of the event with the highest seq, whatever order the events arrived in. */
  state: ShipmentState;
  /** Ordered by seq, one per seq. */
  events: ShipmentEvent[];
  effects: PendingEffect[];
}

const FINAL_STATES: ReadonlySet<ShipmentState> = new Set(['DELIVERED', 'RETURNED', 'CANCELLED']);
/** States a waybill is only in once the courier has it: proof of collection even when 揽收 itself was missed. */
const CARRIED_STATES: ReadonlySet<ShipmentState> = new Set(['COLLECTED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED']);

export function isFinal(state: ShipmentState): boolean {
  return FINAL_STATES.has(state);
}

/** When the courier took the envelope: the earliest known event that proves it, null while it has not. */
export function collectedAt(shipment: Pick<ShipmentRecord, 'events'>): string | null {
  return shipment.events.find((event) => CARRIED_STATES.has(event.state))?.at ?? null;
}

export function deliveredAt(shipment: Pick<ShipmentRecord, 'events'>): string | null {
  return shipment.events.find((event) => event.state === 'DELIVERED')?.at ?? null;
}

/** Still waiting for the courier to collect it; a returned or cancelled waybill waits for nothing. */
export function awaitingCollection(shipment: ShipmentRecord): boolean {
  return !isFinal(shipment.state) && collectedAt(shipment) === null;
}

export function isLate(shipment: ShipmentRecord, now: Date): boolean {
  return shipment.sendBy !== null && awaitingCollection(shipment) && now.getTime() > Date.parse(shipment.sendBy);
}

/** 退回 and 异常 need someone to act: re-send, or chase the courier. */
export function needsAttention(shipment: Pick<ShipmentRecord, 'state'>): boolean {
  return shipment.state === 'RETURNED' || shipment.state === 'EXCEPTION';
}
