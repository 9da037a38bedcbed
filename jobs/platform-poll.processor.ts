import type { Job } from 'bullmq';
import { PlatformRecordMismatchError } from '../adapters/platform.errors.js';
import type { PlatformCaseRecord, PlatformEvent } from '../adapters/platform.port.js';
import type { Region } from '../domain/region.js';
import type { TransferQueue } from '../ledger/workflow/ports.js';
import type { CaseRecord, CaseStage } from '../ledger/cases/case.model.js';
import type { CaseStore } from '../ledger/cases/case.store.js';
import { syncCertificate, type CertificateSyncDeps } from './certificate-sync.js';

/** Cases whose platform record can still change what tongban shows. */
const WATCHED_STAGES: CaseStage[] = ['IN_TRANSFER', 'AT_JURISDICTION', 'DECIDED'];
const PAGE = 100;
const ACTOR = 'system:platform-poll';

export interface PollResult {
  checked: number;
  applied: number;
  requeued: number;
  /** Platform records that belong to another business number than the case holding their id: neither applied nor retried. */
  mismatched: number;
}

/**
 * The fallback for a platform that falls silent: reads the platform records of
 * every watched case in one batch per platform, and applies each stage change
 * the webhooks did not bring, in the order it happened. It also re-queues the
 * transfer of a dispatched case that was never forwarded, so a lost job cannot
 * strand a case. A record under the case's platform id that names another
 * business number moves nothing.
 */
export function platformPollProcessor(deps: CertificateSyncDeps & {
  store: CaseStore;
  transfers: Pick<TransferQueue, 'enqueue'>;
  /** Told of each record of another business number: the workers log and count them. */
  onRecordMismatch?: (mismatch: PlatformRecordMismatchError) => void;
}) {
  return async (_job?: Job): Promise<PollResult> => {
    const watched: CaseRecord[] = [];
    for (const stage of WATCHED_STAGES) {
      for await (const page of deps.store.eachInStage(stage, PAGE)) watched.push(...page);
    }

    let requeued = 0;
    const forwarded = new Map<Region, CaseRecord[]>();
    for (const record of watched) {
      if (!record.platformCaseId) {
        if (record.transfer) {
          await deps.transfers.enqueue(record.businessNo, record.transfer.channel);
          requeued += 1;
        }
        continue;
      }
      forwarded.set(record.jurisdictionRegion, [...(forwarded.get(record.jurisdictionRegion) ?? []), record]);
    }

    let applied = 0;
    let mismatched = 0;
    for (const [region, records] of forwarded) {
      const platformRecords = await deps.platforms[region].getCasesByIds(records.map((r) => r.platformCaseId!));
      for (const [index, platformRecord] of platformRecords.entries()) {
        if (!platformRecord) continue;
        const record = records[index]!;
        if (platformRecord.businessNo !== record.businessNo) {
          mismatched += 1;
          deps.onRecordMismatch?.(new PlatformRecordMismatchError(platformRecord.platformCaseId, record.businessNo, platformRecord.businessNo));
          continue;
        }
        for (const event of missedEvents(record, platformRecord)) {
          await deps.workflow.applyPlatformEvent(event, ACTOR);
          applied += 1;
        }
        // A push of the certificate that was lost, or a job that failed to take it in.
        if (platformRecord.certificate && !record.certificate) await syncCertificate(deps, record, platformRecord, ACTOR);
      }
    }
    return { checked: watched.length, applied, requeued, mismatched };
  };
}

const ORDER = ['SUBMITTED', 'ACCEPTED', 'REVIEWING', 'DECIDED', 'CERTIFICATE_MADE', 'SEALED', 'ISSUED'];

function rank(stage: string): number {
  return stage === 'REJECTED' ? ORDER.indexOf('DECIDED') : ORDER.indexOf(stage);
}

function missedEvents(record: CaseRecord, platform: PlatformCaseRecord): PlatformEvent[] {
  const seen = record.platformStage ? rank(record.platformStage) : -1;
  return platform.history
    .filter((change) => rank(change.stage) > seen)
    .map((change) => ({
      eventId: `poll-${platform.platformCaseId}-${change.stage}`,
      region: platform.region,
      platformCaseId: platform.platformCaseId,
      businessNo: record.businessNo,
      stage: change.stage,
      decision: change.stage === 'DECIDED' ? platform.decision : null,
      reasons: change.stage === 'REJECTED' ? platform.rejectReasons : [],
      at: change.at,
    }));
}
