import type { Job } from 'bullmq';
import { shanghaiDateOf, type WorkingCalendar } from '../domain/calendar/index.js';
import { CaseTransitionError } from '../domain/workflow/case-stages.js';
import type { AlertStore } from '../ledger/alerts/alert.store.js';
import { plannedAlerts, type AlertKind, type AlertPlan } from '../ledger/alerts/case-alerts.js';
import type { CaseWorkflow } from '../ledger/workflow/case-workflow.service.js';
import type { WindowDirectory } from '../ledger/workflow/ports.js';
import type { CaseRecord } from '../ledger/cases/case.model.js';
import type { AlertJobData } from '../queues/deadline-alerts.queue.js';
import type { NotificationJob } from '../ledger/workflow/ports.js';

const ACTOR = 'system:deadline-alerts';

const STAGE_NAME: Record<AlertKind, string> = {
  PROMISED_LIMIT: '承诺时限',
  PAPER_MAIL: '纸质材料寄出',
  ONLINE_TRANSFER: '电子材料传输',
  APPLICANT_PICKUP_NOTICE: '通知申请人领取',
  CORRECTION: '材料补正',
};

export type AlertOutcome = 'RAISED' | 'ALREADY_RAISED' | 'STALE' | 'RESCHEDULED' | 'CASE_GONE';

/**
 * Fires one planned alert, exactly once: it is raised only if the case still
 * plans it (a met deadline or a paused clock makes it stale), and the alert id
 * is written with SET NX, and its messages are queued under fixed job ids, so a
 * worker restarted mid-job or the same job run twice raises and notifies once. The plan is taken from the case as it stands,
 * not from the job: a plan whose time a calendar change has moved on goes back
 * on the timetable. An overdue correction ends the application (视为放弃).
 */
export function deadlineAlertProcessor(deps: {
  workflow: CaseWorkflow;
  alerts: AlertStore;
  directory: WindowDirectory;
  calendar: WorkingCalendar;
  notifications: { enqueue(message: NotificationJob): Promise<void> };
  timetable: { schedule(plans: readonly AlertPlan[]): Promise<void> };
  now: () => Date;
}) {
  return async (job: Pick<Job<AlertJobData>, 'data'>): Promise<AlertOutcome> => {
    let record: CaseRecord;
    try {
      record = await deps.workflow.get(job.data.businessNo);
    } catch {
      return 'CASE_GONE';
    }
    const plan = plannedAlerts(record, deps.calendar).find((p) => p.id === job.data.id);
    if (!plan) return 'STALE';
    const now = deps.now();
    if (Date.parse(plan.fireAt) > now.getTime()) {
      await deps.timetable.schedule([plan]);
      return 'RESCHEDULED';
    }

    const raised = await deps.alerts.raise({
      id: plan.id,
      businessNo: plan.businessNo,
      kind: plan.kind,
      level: plan.level,
      dueAt: plan.dueAt,
      raisedAt: now.toISOString(),
      windowIds: [...new Set([record.receivingWindowId, record.jurisdictionWindowId])],
      status: 'OPEN',
      acknowledgedBy: null,
      acknowledgedAt: null,
    });
    // Also when it was raised before: a run that died between the raise and the messages must still send them.
    // The messages' job ids are their idempotency keys, so a second run queues nothing new.
    await notify(deps, record, plan);
    if (plan.kind === 'CORRECTION' && plan.level === 'OVERDUE') {
      await deps.workflow.abandon(plan.businessNo, ACTOR).catch((error: unknown) => {
        if (!(error instanceof CaseTransitionError)) throw error;
      });
    }
    return raised ? 'RAISED' : 'ALREADY_RAISED';
  };
}

/** The responsible window hears of it by e-mail; the applicant is reminded to correct by SMS. */
async function notify(
  deps: { directory: WindowDirectory; notifications: { enqueue(message: NotificationJob): Promise<void> } },
  record: CaseRecord,
  plan: AlertPlan,
): Promise<void> {
  const atJurisdiction = plan.kind === 'PROMISED_LIMIT' && ['AT_JURISDICTION', 'DECIDED'].includes(record.stage);
  const [window] = await deps.directory.getMany([atJurisdiction ? record.jurisdictionWindowId : record.receivingWindowId]);
  const dueAt = `${shanghaiDateOf(plan.dueAt)}`;
  if (window?.contact.email) {
    await deps.notifications.enqueue({
      idempotencyKey: `${plan.id}-window`,
      channel: 'EMAIL',
      recipient: { kind: 'ADDRESS', address: window.contact.email },
      template: plan.level === 'AT_RISK' ? 'DEADLINE_AT_RISK' : 'DEADLINE_OVERDUE',
      params: { businessNo: record.businessNo, stage: STAGE_NAME[plan.kind], dueAt },
      businessNo: record.businessNo,
    });
  }
  if (plan.kind === 'CORRECTION' && plan.level === 'AT_RISK' && /^1[3-9]\d{9}$/.test(record.contact.phone)) {
    const [receiving] = await deps.directory.getMany([record.receivingWindowId]);
    await deps.notifications.enqueue({
      idempotencyKey: `${plan.id}-applicant`,
      channel: 'SMS',
      recipient: { kind: 'CASE_CONTACT', businessNo: record.businessNo },
      template: 'CORRECTION_REMINDER',
      params: { itemName: record.item.name, deadline: record.correction!.deadline, windowName: receiving?.name ?? record.receivingWindowId, businessNo: record.businessNo },
      businessNo: record.businessNo,
    });
  }
}
