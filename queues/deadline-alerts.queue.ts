import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WorkingCalendar } from '../domain/calendar/index.js';
import { alertChanges, parseAlertId, type AlertPlan } from '../ledger/alerts/case-alerts.js';
import type { TimetableWrites } from '../ledger/cases/case-write.script.js';
import type { CaseRecord } from '../ledger/cases/case.model.js';
import { PARTITION_TAGS, partitionOfCase } from '../ledger/cases/case-partitions.js';
import { bullPrefix, onReplica, openQueue, QUEUES } from './queues.js';

/** One case's change, as the workflow writes it: no previous record before its first write. */
export interface AlertChange {
  previous: CaseRecord | null;
  next: CaseRecord;
}

/** An alert job as the sweep adds it: enough to find the plan again in its case, which has the rest. */
export type AlertJobData = Pick<AlertPlan, 'id' | 'businessNo' | 'kind' | 'level'>;

/** An entry of the timetable, read back from its id and score (times as ISO instants). */
export type ScheduledAlert = AlertJobData & { dueAt: string; fireAt: string };

/**
 * One partition's sorted set of planned alerts under a BullMQ prefix. It is in
 * the partition's slot, not the queue's: the case store's write script puts a
 * case's alerts on it with the case (ledger/cases/case-partitions.ts).
 */
export function alertTimetableKey(prefix: string, tag: string): string {
  return `${prefix}:${tag}:timetable:${QUEUES.deadlineAlerts}`;
}

/** The timetable of a case's partition as the stores' connection names it: its key prefix comes first in `bullPrefix`. */
const timetableFromStores = (businessNo: string) => alertTimetableKey(bullPrefix(''), partitionOfCase(businessNo));

/** Alerts on every partition's timetable under a BullMQ prefix: for ops' scrape and the tests. */
export async function scheduledAlertCount(connection: Redis, prefix: string): Promise<number> {
  const counts = await Promise.all(PARTITION_TAGS.map((tag) => connection.zcard(alertTimetableKey(prefix, tag))));
  return counts.reduce((sum, count) => sum + count, 0);
}

/** Timetable writes and sweeps per round trip: enough to amortise it, few enough that one never holds Redis for long. */
const BATCH = 1000;

/** Removes the swept ids whose time is still the one swept: an id rescheduled later meanwhile stays. */
const REMOVE_DUE = `
local removed = 0
for i = 1, #ARGV - 1 do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i + 1])
  if score and tonumber(score) <= tonumber(ARGV[1]) then removed = removed + redis.call('ZREM', KEYS[1], ARGV[i + 1]) end
end
return removed
`;

/**
 * The deadline alerts of every case, in two parts. Until its time a planned
 * alert is one entry of a sorted set (the timetable: plan id by fire time);
 * a BullMQ delayed job per alert would cost Redis a Lua script and a hash of
 * about a kilobyte for each, and scheduling 100,000 cases after a restart
 * took 24 s that way. When its time comes a sweep (`promoteDue`, a recurring
 * job) turns it into a deadline-alerts job whose id is the plan id, so the
 * sweep run twice, or by two workers, adds it once. The alert itself is
 * raised with SET NX on the same id (the processor), so it fires exactly once
 * however often its job runs.
 *
 * With every change of a case the plans no longer wanted (deadline met, clock
 * paused) leave the timetable and the new ones (clock resumed with a new due
 * day) join it, in the case store's write script (`changes`): a case is never
 * saved without its alerts, nor its alerts without the case. `syncMany` does
 * the same for many cases at once.
 */
export class DeadlineAlertQueue {
  private readonly queue: Queue<AlertJobData>;
  private readonly prefix: string;

  constructor(
    private readonly connection: Redis,
    prefix: string,
    private readonly calendar: WorkingCalendar,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.queue = openQueue(QUEUES.deadlineAlerts, {
      connection,
      prefix,
      // A completed job is not kept: a plan that ran stale (its clock paused) and is planned again must be able to run again.
      defaultJobOptions: { attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: false },
    });
    this.prefix = prefix;
  }

  private timetable(tag: string): string {
    return alertTimetableKey(this.prefix, tag);
  }

  /**
   * Re-plans many cases at once (after a restart, a migration, a new holiday
   * notice). Changes apply in order: when several touch one plan, the last
   * decides whether it stays scheduled.
   */
  async syncMany(changes: readonly AlertChange[]): Promise<void> {
    const now = this.now().getTime();
    const outcome = new Map<string, AlertPlan | null>();
    for (const { previous, next } of changes) {
      const { schedule, cancel } = alertChanges(previous, next, this.calendar, now);
      for (const id of cancel) outcome.set(id, null);
      for (const plan of schedule) outcome.set(plan.id, plan);
    }
    await this.write(outcome);
  }

  /**
   * One change's timetable writes, for the case store to make in the same
   * script as the change itself: a case is never saved without its alerts.
   */
  changes(previous: CaseRecord | null, next: CaseRecord): TimetableWrites {
    const { schedule, cancel } = alertChanges(previous, next, this.calendar, this.now().getTime());
    return { key: timetableFromStores(next.businessNo), schedule: schedule.map((plan) => [Date.parse(plan.fireAt), plan.id]), cancel };
  }

  /** Puts plans (back) on the timetable, e.g. one whose time a calendar change moved on after it was swept. */
  schedule(plans: readonly AlertPlan[]): Promise<void> {
    return this.write(new Map(plans.map((plan) => [plan.id, plan])));
  }

  private async write(outcome: ReadonlyMap<string, AlertPlan | null>): Promise<void> {
    if (outcome.size === 0) return;
    const byPartition = new Map<string, [string, AlertPlan | null][]>();
    for (const [id, plan] of outcome) {
      const businessNo = parseAlertId(id)?.businessNo;
      if (!businessNo) continue;
      const key = this.timetable(partitionOfCase(businessNo));
      const entries = byPartition.get(key);
      if (entries) entries.push([id, plan]);
      else byPartition.set(key, [[id, plan]]);
    }
    const writes: Promise<unknown>[] = [];
    for (const [key, entries] of byPartition) {
      for (let start = 0; start < entries.length; start += BATCH) {
        const added: (string | number)[] = [];
        const removed: string[] = [];
        for (const [id, plan] of entries.slice(start, start + BATCH)) {
          if (plan) added.push(Date.parse(plan.fireAt), id);
          else removed.push(id);
        }
        if (added.length) writes.push(this.connection.zadd(key, ...added));
        if (removed.length) writes.push(this.connection.zrem(key, ...removed));
      }
    }
    await Promise.all(writes);
  }

  /**
   * Adds a job for every alert whose time has come by the workflow's clock,
   * then takes those entries off the timetable. A crash in between leaves them
   * there for the next sweep, whose jobs then find the alerts raised.
   */
  async promoteDue(): Promise<number> {
    const now = this.now().getTime();
    const promoted = await Promise.all(PARTITION_TAGS.map((tag) => this.promoteDueIn(this.timetable(tag), now)));
    return promoted.reduce((sum, count) => sum + count, 0);
  }

  private async promoteDueIn(timetable: string, now: number): Promise<number> {
    let promoted = 0;
    for (;;) {
      const due = await this.connection.zrangebyscore(timetable, '-inf', now, 'LIMIT', 0, BATCH);
      const jobs = due.flatMap((id) => {
        const parsed = parseAlertId(id);
        return parsed ? [{ name: parsed.kind, data: { id, businessNo: parsed.businessNo, kind: parsed.kind, level: parsed.level }, opts: { jobId: id } }] : [];
      });
      if (jobs.length) {
        await this.queue.addBulk(jobs);
        await onReplica(this.connection, this.queue);
      }
      if (due.length) await this.connection.eval(REMOVE_DUE, 1, timetable, now, ...due);
      promoted += jobs.length;
      if (due.length < BATCH) return promoted;
    }
  }

  scheduledCount(): Promise<number> {
    return scheduledAlertCount(this.connection, this.prefix);
  }

  /** A case's alerts still on the timetable, for ops and tests. */
  async scheduled(businessNo: string): Promise<ScheduledAlert[]> {
    const found: ScheduledAlert[] = [];
    let cursor = '0';
    do {
      const [next, flat] = await this.connection.zscan(this.timetable(partitionOfCase(businessNo)), cursor, 'MATCH', `alert-${businessNo}-*`, 'COUNT', BATCH);
      cursor = next;
      for (let index = 0; index < flat.length; index += 2) {
        const parsed = parseAlertId(flat[index]!);
        if (parsed?.businessNo !== businessNo) continue;
        const { dueAt, ...rest } = parsed;
        found.push({ id: flat[index]!, ...rest, dueAt: new Date(dueAt).toISOString(), fireAt: new Date(Number(flat[index + 1])).toISOString() });
      }
    } while (cursor !== '0');
    return found;
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
