import { collectedAt, deliveredAt, type PendingEffect, type ShipmentEvent, type ShipmentMilestone, type ShipmentRecord } from './shipment.model.js';

export interface TrackingChange {
  record: ShipmentRecord;
  /** The events that were not known before, by seq. */
  added: ShipmentEvent[];
}

/** In the order a case must hear of them when one batch brings both. */
const MILESTONES: [ShipmentMilestone, (shipment: ShipmentRecord) => string | null][] = [
  ['COLLECTED', collectedAt],
  ['DELIVERED', deliveredAt],
];

/**
 * Merges tracking events into a shipment. The courier may send an event twice or
 * after newer ones (CONTRACT.md §7), so events are keyed by seq — the first copy
 * of a seq wins — and the state is that of the highest seq, never of the latest
 * arrival. A milestone counts as reached when the merged history first proves it,
 * even if the event that names it is still missing: 在途 proves 揽收. It is then
 * owed to the case once, claimed by `claimant`.
 */
export function applyTracking(record: ShipmentRecord, events: readonly ShipmentEvent[], claimant: string): TrackingChange {
  const bySeq = new Map(record.events.map((event) => [event.seq, event]));
  const added: ShipmentEvent[] = [];
  for (const event of events) {
    if (bySeq.has(event.seq)) continue;
    bySeq.set(event.seq, event);
    added.push(event);
  }
  if (added.length === 0) return { record, added };

  const ordered = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  const merged: ShipmentRecord = { ...record, events: ordered, state: ordered.at(-1)!.state };
  const reached: PendingEffect[] = [];
  for (const [milestone, reachedAt] of MILESTONES) {
    const at = reachedAt(merged);
    if (at !== null && reachedAt(record) === null) reached.push({ milestone, at, claimant });
  }
  return { record: { ...merged, effects: [...record.effects, ...reached] }, added: added.sort((a, b) => a.seq - b.seq) };
}
