import { createHash } from 'node:crypto';
import { parseBusinessNo } from '../../domain/workflow/business-number.js';

/**
 * The ledger in partitions, so that Redis Cluster can spread it over its
 * masters while each case write stays one atomic script: every key one write
 * touches — the case, its events, its idempotency key, the indexes it is
 * listed in, the day's counters, its alerts on the timetable, the jobs it
 * commits to in the outboxes and the upload it claims — carries its
 * partition's hash tag, so they share one slot. A case's partition is that of
 * its receiving division, which its business number spells, which the
 * receiving window's record names before the number is taken (for the
 * idempotency key), and which the uploader's window names (for a scan's
 * upload, bound only to a case of that window). Views across cases gather the
 * partitions in parallel and merge (case.store.ts); sweeps walk them.
 *
 * The count is fixed for the life of the data: another count would move
 * divisions between partitions, and their cases would have to be moved with
 * them (SCALING.md).
 */
export const LEDGER_PARTITIONS = 16;

/** Every partition's hash tag, in order. */
export const PARTITION_TAGS: readonly string[] = Array.from({ length: LEDGER_PARTITIONS }, (_, index) => `{L${String(index).padStart(2, '0')}}`);

const byDivision = new Map<string, string>();

/** The hash tag of a receiving division's partition. */
export function partitionOfDivision(divisionCode: string): string {
  let tag = byDivision.get(divisionCode);
  if (tag === undefined) {
    // A digest, not the code's digits: neighbouring codes (a city's districts) spread over the partitions.
    const index = createHash('sha256').update(divisionCode).digest().readUInt32BE(0) % LEDGER_PARTITIONS;
    tag = PARTITION_TAGS[index]!;
    if (byDivision.size < 100_000) byDivision.set(divisionCode, tag);
  }
  return tag;
}

/** The hash tag of a case's partition; a string that is no business number names no case, and is looked for in the first. */
export function partitionOfCase(businessNo: string): string {
  const parsed = parseBusinessNo(businessNo);
  return parsed ? partitionOfDivision(parsed.divisionCode) : PARTITION_TAGS[0]!;
}
