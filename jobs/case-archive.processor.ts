import { PARTITION_TAGS } from '../ledger/cases/case-partitions.js';
import type { CaseStore } from '../ledger/cases/case.store.js';
import type { ShipmentStore } from '../ledger/shipments/shipment.store.js';

const DAY_MS = 24 * 3600_000;
const BATCH = 100;

export interface CaseArchiveRun {
  archived: number;
  /** Changed while being archived: left whole, taken up by a later run once quiet again. */
  conflicts: number;
}

/**
 * The recurring archive of closed cases (ARCHIVE.md): each partition's index of
 * closed cases held whole gives those unchanged for `archiveAfterDays`, oldest
 * first; each is archived on its own, so a run cut short has archived a prefix
 * and the next one goes on from there.
 */
export function caseArchiveProcessor(deps: { store: CaseStore; shipments: ShipmentStore; archiveAfterDays: number; now: () => Date }) {
  return async (): Promise<CaseArchiveRun> => {
    const now = deps.now();
    const until = now.getTime() - deps.archiveAfterDays * DAY_MS;
    const run: CaseArchiveRun = { archived: 0, conflicts: 0 };
    for (const tag of PARTITION_TAGS) {
      // An archived case leaves the index; the ones left behind (changed meanwhile) are stepped over.
      let kept = 0;
      for (;;) {
        const due = await deps.store.closedBefore(tag, until, kept, BATCH);
        if (due.length === 0) break;
        for (const businessNo of due) {
          const outcome = await deps.store.archive(businessNo, until, now.toISOString(), async () => (await deps.shipments.listByCases([businessNo]))[0] ?? []);
          if (outcome.status === 'ARCHIVED') run.archived++;
          else {
            kept++;
            if (outcome.status === 'CONFLICT') run.conflicts++;
          }
        }
      }
    }
    return run;
  };
}
