import { shanghaiDateOf, type WorkingCalendar } from '../../domain/calendar/index.js';
import { evaluateClock, stageStatus, type Stage } from '../../domain/clock/index.js';
import { renderDeficiencyNotice, renderReceiptNotice } from '../../domain/notices/index.js';
import type { WindowRecord } from '../../ledger/windows/window.model.js';
import type { CaseRecord, NoticeRecord } from '../../ledger/cases/case.model.js';
import { onlineTransferDoneAt } from '../../ledger/workflow/scans.stage.js';

/** How a stored case reads at a given moment: the clock and deadlines depend on `now`. */
export function caseClock(record: CaseRecord, now: Date, calendar: WorkingCalendar) {
  if (record.clock.phase === 'NOT_STARTED') return null;
  const limitDays = record.item.promisedLimitDays;
  return { limitDays, ...evaluateClock(record.clock, limitDays, now, calendar) };
}

export function caseDeadlines(record: CaseRecord, now: Date) {
  const entries: { kind: Stage; dueAt: string | null | undefined; completedAt: string | null }[] = [
    { kind: 'CORRECTION', dueAt: record.correction?.dueAt, completedAt: record.acceptedAt },
    { kind: 'ONLINE_TRANSFER', dueAt: record.transfer?.onlineDueAt, completedAt: onlineTransferDoneAt(record) },
    { kind: 'PAPER_MAIL', dueAt: record.transfer?.paperDueAt, completedAt: record.transfer?.paperSentAt ?? null },
    { kind: 'RECEIVING_WINDOW_FEEDBACK', dueAt: record.result?.feedbackDueAt, completedAt: feedbackGivenAt(record) },
    {
      kind: 'APPLICANT_PICKUP_NOTICE',
      dueAt: record.result?.pickupNoticeDueAt,
      completedAt: record.result?.applicantNotifiedAt ?? null,
    },
  ];
  return entries.flatMap(({ kind, dueAt, completedAt }) =>
    dueAt
      ? [{ kind, dueAt, completedAt, status: stageStatus({ stage: kind, workingDays: 0, dueDate: shanghaiDateOf(dueAt), dueAt }, { completedAt, now }) }]
      : [],
  );
}

/**
 * Cases stored before the feedback was its own event counted the dispatch as
 * the feedback, and are read as they were then.
 */
function feedbackGivenAt(record: CaseRecord): string | null {
  if (!record.result) return null;
  return record.result.feedbackGivenAt === undefined ? record.result.dispatchedAt : record.result.feedbackGivenAt;
}

export function noticePath(businessNo: string, noticeId: string): string {
  return `/notices/${encodeURIComponent(businessNo)}/${encodeURIComponent(noticeId)}`;
}

/**
 * The notice as printed: every field of the seed 000 forms, from the case as it
 * stood. Names of the windows come from the directory.
 */
export function renderNotice(
  record: CaseRecord,
  notice: NoticeRecord,
  windows: { receiving: WindowRecord | null; jurisdiction: WindowRecord | null },
): string {
  const common = {
    businessNo: record.businessNo,
    appliedAt: record.appliedAt,
    scope: record.scope,
    receivingWindow: {
      name: windows.receiving?.name ?? record.receivingWindowId,
      phone: windows.receiving?.contact.phone ?? '',
    },
    jurisdictionWindow: { name: windows.jurisdiction?.name ?? record.jurisdictionWindowId },
    applicantName: record.applicant.name,
    itemName: record.item.name,
    legalItemName: record.item.legalName,
    contactName: record.contact.name,
    contactPhone: record.contact.phone,
    legalLimitDays: record.item.legalLimitDays,
    promisedLimitDays: record.item.promisedLimitDays,
    // Cases received before the flag was kept were all received against the generated catalogs.
    sampleData: record.item.sampleData ?? true,
    handler: record.handler,
    issuedAt: notice.issuedAt,
  };
  if (notice.kind === 'RECEIPT') {
    return renderReceiptNotice({ ...common, materials: notice.materials.filter((m) => m.verdict !== 'MISSING') });
  }
  return renderDeficiencyNotice({
    ...common,
    materials: notice.materials,
    correctionDeadline: record.correction!.deadline,
    correctionWorkingDays: record.correction!.workingDays,
  });
}
