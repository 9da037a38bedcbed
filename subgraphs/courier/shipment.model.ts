export type ShipmentPurpose = 'MATERIALS' | 'RESULT';
export type ShipmentState = 'ORDERED' | 'COLLECTED' | 'IN_TRANSIT' | 'OUT_FOR_DELIVERY' | 'DELIVERED' | 'RETURNED' | 'EXCEPTION';

export interface ShipmentEvent {
  state: ShipmentState;
  at: string;
  place: string;
  note?: string;
}

export interface ShipmentRecord {
  waybillNo: string;
  businessNo: string;
  purpose: ShipmentPurpose;
  state: ShipmentState;
  events: ShipmentEvent[];
  createdAt: string;
}
