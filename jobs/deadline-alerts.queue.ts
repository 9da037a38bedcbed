import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WorkingCalendar } from '../domain/calendar/index.js';
import { plannedAlerts, type AlertPlan } from '../subgraphs/cases/case-alerts.js';
import type { CaseRecord } from '../subgraphs/cases/case.model.js';
import { QUEUES } from './queues.js';

/**
 * Keeps a case's delayed alert jobs equal to its plan: after every change the
 * jobs no longer planned (deadline met, clock paused) are removed and the new
 * ones (clock resumed with a new due day) added. Job ids are the plan ids, so
 * adding twice schedules once.
 */
export class DeadlineAlertQueue {
  private readonly queue: Queue<AlertPlan>;

  constructor(
    connection: Redis,
    prefix: string,
    private readonly calendar: WorkingCalendar,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.queue = new Queue(QUEUES.deadlineAlerts, {
      connection,
      prefix,
      defaultJobOptions: { attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { count: 10_000 }, removeOnFail: false },
    });
  }

  async sync(previous: CaseRecord | null, next: CaseRecord): Promise<void> {
    const before = plannedAlerts(previous, this.calendar);
    const after = new Map(plannedAlerts(next, this.calendar).map((plan) => [plan.id, plan]));
    for (const plan of before) {
      if (!after.has(plan.id)) await this.queue.remove(plan.id).catch(() => 0);
    }
    // Delays count from the workflow's clock: the same as the wall clock in production, and a test's own in tests.
    const now = this.now().getTime();
    for (const plan of after.values()) {
      await this.queue.add(plan.kind, plan, { jobId: plan.id, delay: Math.max(0, Date.parse(plan.fireAt) - now) });
    }
  }

  /** The delayed alert jobs of a case, for ops and tests. */
  async scheduled(businessNo: string): Promise<AlertPlan[]> {
    const jobs = await this.queue.getJobs(['delayed', 'waiting']);
    return jobs.filter((job) => job?.data.businessNo === businessNo).map((job) => job.data);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
