import { UnrecoverableError, type Job } from 'bullmq';
import { PlatformBadResponseError, PlatformRecordMismatchError, PlatformRejectedError, PlatformUnavailableError } from '../adapters/platform.errors.js';
import type { PlatformPort, SubmitCaseRequest } from '../adapters/platform.port.js';
import type { FileStore } from '../lib/files/file-store.js';
import { MIME_TYPES } from '../lib/files/file-check.js';
import { DomainError, NotFoundError } from '../domain/errors.js';
import type { Region } from '../domain/region.js';
import type { CaseWorkflow } from '../ledger/workflow/case-workflow.service.js';
import type { CaseRecord } from '../ledger/cases/case.model.js';
import { ShipmentConflictError } from '../ledger/shipments/shipment.store.js';
import type { MaterialTransferJob } from '../queues/material-transfer.queue.js';
import { dispatchPaper, type PaperDispatchDeps } from './paper-dispatch.js';

export interface MaterialTransferResult {
  platformCaseId: string;
  /** The 政务专递 waybill of the paper materials; null when they travel online only. */
  waybillNo: string | null;
}

const ACTOR = 'system:material-transfer';

type ForwardDeps = { workflow: CaseWorkflow; platforms: Record<Region, PlatformPort>; files: FileStore };

/**
 * Forwards a dispatched case and its electronic materials to the owning
 * platform: first each scan, streamed from the file store, then the case
 * naming the platform's file ids. Both are idempotent at the platform (a file
 * by business number and digest, the case by business number), and each
 * acknowledged file is recorded on the case, so a retry after a timeout or a
 * crash mid-file sends only what is not acknowledged and creates nothing twice.
 */
export function materialTransferProcessor(deps: ForwardDeps & PaperDispatchDeps) {
  return async (job: Job<MaterialTransferJob>): Promise<MaterialTransferResult> => {
    const { businessNo } = job.data;
    let record;
    try {
      record = await deps.workflow.get(businessNo);
    } catch (error) {
      if (error instanceof NotFoundError) throw new UnrecoverableError(`case ${businessNo} does not exist`);
      throw error;
    }
    // A case confirmed at the jurisdiction (its paper arrived first) still needs its platform record.
    if (!record.platformCaseId && !record.transfer) {
      throw new UnrecoverableError(`case ${businessNo} is ${record.stage}, never dispatched`);
    }
    const platformCaseId = record.platformCaseId ?? (await forward(deps, record));
    // After the forward, so a courier outage never holds up the 1-working-day online transfer; a retry finds the case forwarded and comes straight here.
    const paper = record.transfer?.channel === 'OFFLINE' || record.transfer?.channel === 'BOTH';
    const waybillNo = paper ? (await sendPaper(deps, record)).waybillNo : null;
    return { platformCaseId, waybillNo };
  };
}

async function forward(deps: ForwardDeps, read: CaseRecord): Promise<string> {
  let forwarded;
  let record = read;
  try {
    if (read.transfer?.channel !== 'OFFLINE') record = await sendScans(deps, read);
    forwarded = await deps.platforms[record.jurisdictionRegion].submitCase(submitCaseRequest(record));
  } catch (error) {
    if (error instanceof PlatformRejectedError) {
      throw new UnrecoverableError(`${error.code}: ${error.message}`);
    }
    throw error;
  }
  if (forwarded.businessNo !== record.businessNo) {
    const mismatch = new PlatformRecordMismatchError(forwarded.platformCaseId, record.businessNo, forwarded.businessNo);
    throw new UnrecoverableError(`${mismatch.code}: ${mismatch.message}`);
  }
  await deps.workflow.recordForwarded(record.businessNo, forwarded.platformCaseId, ACTOR, record);
  return forwarded.platformCaseId;
}

/** Each scan the platform has not acknowledged, one after another (a hall's uplink is the narrow part); the case as recorded after the last. */
async function sendScans(deps: ForwardDeps, read: CaseRecord): Promise<CaseRecord> {
  let record = read;
  const platform = deps.platforms[record.jurisdictionRegion];
  for (const scan of read.scans ?? []) {
    if (scan.platformFileId) continue;
    const receipt = await platform.uploadFile({
      businessNo: record.businessNo,
      material: scan.material,
      sha256: scan.sha256,
      size: scan.size,
      contentType: MIME_TYPES[scan.type],
      open: () => deps.files.get(scan.sha256),
    });
    if (receipt.sha256 !== scan.sha256) {
      throw new UnrecoverableError(`PLATFORM.DIGEST_MISMATCH: ${record.jurisdictionRegion} acknowledged ${scan.sha256} as ${receipt.sha256}`);
    }
    record = await deps.workflow.recordScanTransferred(record.businessNo, scan.sha256, receipt, ACTOR, record);
  }
  return record;
}

/** The owning platform's intake of a dispatched case: its qualified materials with the platform's ids of their scans. */
export function submitCaseRequest(record: CaseRecord): SubmitCaseRequest {
  return {
    idempotencyKey: record.businessNo,
    businessNo: record.businessNo,
    itemCode: record.itemCode,
    applicant: record.applicant,
    contact: record.contact,
    receivingWindowId: record.receivingWindowId,
    receivingDivisionCode: record.receivingDivisionCode,
    materials: record.materials
      .filter((material) => material.verdict === 'QUALIFIED')
      .map((material) => {
        const fileIds = (record.scans ?? []).filter((scan) => scan.material === material.name && scan.platformFileId).map((scan) => scan.platformFileId!);
        return { name: material.name, form: material.form, copies: material.copies, ...(fileIds.length > 0 ? { fileIds } : {}) };
      }),
    submittedAt: record.transfer?.dispatchedAt ?? record.appliedAt,
  };
}

/** A refused order (bad address, no cost rule, unknown window) fails the same way on every retry; an unavailable courier may not. */
async function sendPaper(deps: PaperDispatchDeps, record: CaseRecord) {
  try {
    return await dispatchPaper(deps, record);
  } catch (error) {
    const retryable = error instanceof PlatformUnavailableError || error instanceof PlatformBadResponseError || error instanceof ShipmentConflictError;
    if (error instanceof DomainError && !retryable) throw new UnrecoverableError(`${error.code}: ${error.message}`);
    throw error;
  }
}
