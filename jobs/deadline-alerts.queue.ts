import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WorkingCalendar } from '../domain/calendar/index.js';
import { plannedAlerts, type AlertPlan } from '../subgraphs/cases/case-alerts.js';
import type { CaseRecord } from '../subgraphs/cases/case.model.js';
import { QUEUES } from './queues.js';

/** One case's change, as the workflow writes it: no previous record before its first write. */
export interface AlertChange {
  previous: CaseRecord | null;
  next: CaseRecord;
}

/** Plans per round trip: enough to amortise it, few enough that one batch never holds Redis for long. */
const BATCH = 1000;

/**
 * Keeps a case's delayed alert jobs equal to its plan: after every change the
 * jobs no longer planned (deadline met, clock paused) are removed and the new
 * ones (clock resumed with a new due day) added. Job ids are the plan ids, so
 * adding twice schedules once.
 */
export class DeadlineAlertQueue {
  private readonly queue: Queue<AlertPlan>;

  constructor(
    private readonly connection: Redis,
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

  sync(previous: CaseRecord | null, next: CaseRecord): Promise<void> {
    return this.syncMany([{ previous, next }]);
  }

  /**
   * Re-plans many cases at once (after a restart, a migration, a new holiday
   * notice) in a few round trips per thousand plans. Changes apply in order:
   * when several touch one plan, the last decides whether it stays scheduled.
   */
  async syncMany(changes: readonly AlertChange[]): Promise<void> {
    const outcome = new Map<string, AlertPlan | null>();
    for (const { previous, next } of changes) {
      const after = plannedAlerts(next, this.calendar);
      const kept = new Set(after.map((plan) => plan.id));
      for (const plan of plannedAlerts(previous, this.calendar)) if (!kept.has(plan.id)) outcome.set(plan.id, null);
      for (const plan of after) outcome.set(plan.id, plan);
    }
    const ids = [...outcome.keys()];
    // Delays count from the workflow's clock: the same as the wall clock in production, and a test's own in tests.
    const now = this.now().getTime();
    let next = 0;
    const lane = async () => {
      for (let start = next; start < ids.length; start = next) {
        next += BATCH;
        await this.apply(ids.slice(start, start + BATCH), outcome, now);
      }
    };
    // Two batches in flight: this process encodes one while Redis runs the other's scripts.
    await Promise.all([lane(), lane()]);
  }

  /**
   * BullMQ's add and remove are Lua scripts costing tens of microseconds of
   * Redis time even when they change nothing (the job is already there, or
   * already gone); an EXISTS costs one or two. So only the jobs that are
   * missing are added and only those still there removed. A job being
   * processed is not removed; its run finds the plan stale and raises nothing.
   */
  private async apply(ids: readonly string[], outcome: ReadonlyMap<string, AlertPlan | null>, now: number): Promise<void> {
    const pipeline = this.connection.pipeline();
    for (const id of ids) pipeline.exists(this.queue.toKey(id));
    const exists = ((await pipeline.exec()) ?? []).map(([error, found]) => {
      if (error) throw error;
      return found === 1;
    });
    const stale: string[] = [];
    const missing: AlertPlan[] = [];
    ids.forEach((id, index) => {
      const plan = outcome.get(id);
      if (plan && !exists[index]) missing.push(plan);
      if (!plan && exists[index]) stale.push(id);
    });
    await Promise.all([
      ...stale.map((id) => this.queue.remove(id).catch(() => 0)),
      missing.length > 0 &&
        this.queue.addBulk(
          missing.map((plan) => ({ name: plan.kind, data: plan, opts: { jobId: plan.id, delay: Math.max(0, Date.parse(plan.fireAt) - now) } })),
        ),
    ]);
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
