import type { Redis } from 'ioredis';
import { DomainError } from '../domain/errors.js';
import { parseAlertId } from '../ledger/alerts/case-alerts.js';
import { PARTITION_TAGS, partitionOfCase, partitionOfDivision } from '../ledger/cases/case-partitions.js';
import { statisticsKey } from '../ledger/cases/case-statistics.js';
import type { NotificationJob } from '../ledger/workflow/ports.js';
import { UPLOAD_RECORD_PREFIX } from '../lib/files/upload-record.store.js';
import { isCluster } from '../lib/redis.js';
import { alertTimetableKey } from '../queues/deadline-alerts.queue.js';
import { transferOutboxKey } from '../queues/material-transfer.queue.js';
import { notificationOutboxKey } from '../queues/notifications.queue.js';
import { bullPrefix, QUEUES } from '../queues/queues.js';

/**
 * Moves a Redis of the ledger's layout before its partitions (9f982cd) to the
 * partitioned one (ledger/cases/case-partitions.ts): without it an upgraded
 * deployment no longer sees its cases. It walks the old keys with SCAN and
 * moves each in one atomic step — a RENAMENX (which keeps a TTL, and leaves a
 * key whose new name is taken, to be reported), or a script that moves a
 * batch of an index's, timetable's or outbox's members into their partitions'
 * keys and removes them from the old one, or that adds a day's counters into
 * a partition's and deletes the old hash. So a run stopped anywhere leaves
 * every key and member in exactly one place, the next run finishes, and a
 * run over a migrated Redis changes nothing.
 *
 * The scripts touch keys of many slots: the old layout only ever ran on one
 * Redis, and this runs there, with the gateways, subgraphs and workers stopped
 * (a writer of the old layout would add keys behind it; one of the new would
 * not see the cases yet).
 */

export const MOVE_KINDS = [
  'case',
  'case events',
  'idempotency key',
  'case index entry',
  'day counters',
  'window',
  'window history',
  'window index',
  'alert',
  'alert index',
  'shipment',
  'shipment index',
  'certificate',
  'catalog',
  'upload record',
  'timetable entry',
  'transfer outbox entry',
  'notification outbox entry',
] as const;

export type MoveKind = (typeof MOVE_KINDS)[number];

export interface MigrationReport {
  moved: Record<MoveKind, number>;
  /** Old keys left in place because their new name exists already: nothing is overwritten. */
  conflicts: { from: string; to: string }[];
  /** Old keys or members left in place because nothing in them says where they go. */
  unplaced: { key: string; member?: string; reason: string }[];
  /** Index, timetable and outbox members whose new key held them already (with its own score), dropped from the old key. */
  alreadyThere: number;
  /** Keys under the prefix the walk saw, and those of them in the old layout: a wrong prefix shows as none of the old layout. */
  scanned: number;
  oldLayout: number;
  /** False: stopped after `maxSteps`, a run again finishes. */
  complete: boolean;
}

export interface MigrationOptions {
  /** Members moved per script call. */
  batch?: number;
  /** Stop after this many atomic steps: what an interrupted run leaves, for the tests. */
  maxSteps?: number;
}

/** Old key → new key (a rename), or old key → how its members are spread (a split). */
type Plan =
  | { action: 'rename'; kind: MoveKind; to: string }
  | { action: 'rename-by-value'; kind: 'idempotency key' | 'upload record'; to: (tag: string) => string }
  | { action: 'split'; kind: MoveKind; target: (member: string) => string | null }
  | { action: 'merge-counters'; to: string };

/** RENAMENX, except that a key gone since the SCAN saw it (a lapsed TTL) is no error. */
const RENAME = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('RENAMENX', KEYS[1], KEYS[2])
`;

/** KEYS[1]: the old sorted set; KEYS[2..]: where its members go; ARGV: member, then its KEYS index, per member. */
const SPLIT = `
local moved, there = 0, 0
for i = 1, #ARGV, 2 do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score then
    local added = redis.call('ZADD', KEYS[tonumber(ARGV[i + 1])], 'NX', score, ARGV[i])
    if added == 1 then moved = moved + 1 else there = there + 1 end
    redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return {moved, there}
`;

/** KEYS[1]: an old day's counters, KEYS[2]: a partition's; added field by field, then the old hash goes. */
const MERGE_COUNTERS = `
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do redis.call('HINCRBY', KEYS[2], fields[i], fields[i + 1]) end
redis.call('DEL', KEYS[1])
return #fields / 2
`;

/** A day's counters of the old layout go into the first partition's: a report sums the partitions (CaseStore.statistics). */
const COUNTERS_PARTITION = PARTITION_TAGS[0]!;

const BUSINESS_NO = '([^{:][^:]*)';

class LedgerMigration {
  private readonly report: MigrationReport = {
    moved: Object.fromEntries(MOVE_KINDS.map((kind) => [kind, 0])) as Record<MoveKind, number>,
    conflicts: [],
    unplaced: [],
    alreadyThere: 0,
    scanned: 0,
    oldLayout: 0,
    complete: false,
  };
  private steps = 0;
  private readonly batch: number;
  private readonly maxSteps: number;
  private readonly bull: string;

  /** `redis`: a connection without a key prefix; `keyPrefix`: the stores' prefix (config), under which BullMQ's keys sit too. */
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    options: MigrationOptions = {},
  ) {
    this.batch = options.batch ?? 500;
    this.maxSteps = options.maxSteps ?? Infinity;
    this.bull = bullPrefix(keyPrefix);
  }

  async run(): Promise<MigrationReport> {
    const pattern = `${this.keyPrefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        this.report.scanned++;
        const plan = this.plan(key);
        if (!plan) continue;
        this.report.oldLayout++;
        if (!(await this.carryOut(key, plan))) return this.report;
      }
    } while (cursor !== '0');
    this.report.complete = true;
    return this.report;
  }

  /** The plan for a key of the old layout; null for any other key (the new layout's carry a hash tag where the old had none). */
  private plan(key: string): Plan | null {
    if (!key.startsWith(this.keyPrefix)) return null;
    const name = key.slice(this.keyPrefix.length);
    const p = this.keyPrefix;
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^case:${BUSINESS_NO}$`).exec(name))) return { action: 'rename', kind: 'case', to: `${p}case:${partitionOfCase(m[1]!)}:${m[1]}` };
    if ((m = new RegExp(`^case:${BUSINESS_NO}:events$`).exec(name))) {
      return { action: 'rename', kind: 'case events', to: `${p}case:${partitionOfCase(m[1]!)}:${m[1]}:events` };
    }
    if ((m = new RegExp(`^case:${BUSINESS_NO}:shipments$`).exec(name))) return { action: 'rename', kind: 'shipment index', to: `${p}shipments:{shipments}:case:${m[1]}` };
    if ((m = /^cases:((?:all|stage:.+|window:.+|region:.+|clock:(?:running|paused|stopped)))$/.exec(name))) {
      const index = m[1]!;
      return { action: 'split', kind: 'case index entry', target: (businessNo) => `${p}cases:${partitionOfCase(businessNo)}:${index}` };
    }
    if ((m = /^idem:receive:([0-9a-f]{64})$/.exec(name))) {
      const digest = m[1]!;
      return { action: 'rename-by-value', kind: 'idempotency key', to: (tag) => `${p}idem:receive:${tag}:${digest}` };
    }
    if ((m = /^stats:(\d{4}-\d{2}-\d{2})$/.exec(name))) return { action: 'merge-counters', to: `${p}${statisticsKey(COUNTERS_PARTITION, m[1]!)}` };
    if ((m = /^window:([^{:][^:]*)$/.exec(name))) return { action: 'rename', kind: 'window', to: `${p}window:{windows}:${m[1]}` };
    if ((m = /^window:([^{:][^:]*):history$/.exec(name))) return { action: 'rename', kind: 'window history', to: `${p}window:{windows}:${m[1]}:history` };
    if ((m = /^windows:(all|generation|seeded|region:[^{].*|division:[^{].*)$/.exec(name))) return { action: 'rename', kind: 'window index', to: `${p}windows:{windows}:${m[1]}` };
    if ((m = /^alert:(alert-.+)$/.exec(name))) return { action: 'rename', kind: 'alert', to: `${p}alert:{alerts}:${m[1]}` };
    if ((m = /^alerts:((?:status|window):[^{].*)$/.exec(name))) return { action: 'rename', kind: 'alert index', to: `${p}alerts:{alerts}:${m[1]}` };
    if ((m = /^shipment:([^{].*)$/.exec(name))) return { action: 'rename', kind: 'shipment', to: `${p}shipment:{shipments}:${m[1]}` };
    if ((m = /^shipments:(open|awaiting-collection)$/.exec(name))) return { action: 'rename', kind: 'shipment index', to: `${p}shipments:{shipments}:${m[1]}` };
    if ((m = /^certificate:((?:code|number):.+)$/.exec(name))) return { action: 'rename', kind: 'certificate', to: `${p}certificate:{certificates}:${m[1]}` };
    if ((m = /^catalog:(guides|generation:[A-Z]+)$/.exec(name))) return { action: 'rename', kind: 'catalog', to: `${p}catalog:{catalog}:${m[1]}` };
    if ((m = new RegExp(`^${UPLOAD_RECORD_PREFIX}record:([A-Za-z0-9_-]{1,128})$`).exec(name))) {
      const uploadId = m[1]!;
      return { action: 'rename-by-value', kind: 'upload record', to: (tag) => `${p}${UPLOAD_RECORD_PREFIX}${tag}:record:${uploadId}` };
    }
    if (key === `${this.bull}:${QUEUES.deadlineAlerts}:timetable`) {
      return { action: 'split', kind: 'timetable entry', target: (id) => this.tagged(parseAlertId(id)?.businessNo, (tag) => alertTimetableKey(this.bull, tag)) };
    }
    if (key === `${this.bull}:${QUEUES.materialTransfer}:outbox`) {
      return { action: 'split', kind: 'transfer outbox entry', target: (entry) => this.tagged(/^([^|]+)\|/.exec(entry)?.[1], (tag) => transferOutboxKey(this.bull, tag)) };
    }
    if (key === `${this.bull}:${QUEUES.notifications}:outbox`) {
      return { action: 'split', kind: 'notification outbox entry', target: (entry) => this.tagged(notificationCase(entry), (tag) => notificationOutboxKey(this.bull, tag)) };
    }
    return null;
  }

  private tagged(businessNo: string | undefined, key: (tag: string) => string): string | null {
    return businessNo ? key(partitionOfCase(businessNo)) : null;
  }

  /** False once the step budget is spent. */
  private async carryOut(key: string, plan: Plan): Promise<boolean> {
    switch (plan.action) {
      case 'rename':
        return this.rename(key, plan.to, plan.kind);
      case 'rename-by-value': {
        const tag = plan.kind === 'idempotency key' ? await this.submissionPartition(key) : await this.uploadPartition(key);
        if (tag === undefined) return true;
        if (tag === null) {
          this.report.unplaced.push({ key, reason: plan.kind === 'idempotency key' ? 'its value names no business number' : 'its window is not in the directory' });
          return true;
        }
        return this.rename(key, plan.to(tag), plan.kind);
      }
      case 'merge-counters': {
        if (!this.step()) return false;
        await this.redis.eval(MERGE_COUNTERS, 2, key, plan.to);
        this.report.moved['day counters']++;
        return true;
      }
      case 'split':
        return this.split(key, plan.kind, plan.target);
    }
  }

  private step(): boolean {
    if (this.steps >= this.maxSteps) return false;
    this.steps++;
    return true;
  }

  private async rename(from: string, to: string, kind: MoveKind): Promise<boolean> {
    if (!this.step()) return false;
    const renamed = await this.redis.eval(RENAME, 2, from, to);
    if (renamed === 1) this.report.moved[kind]++;
    else if (renamed === 0) this.report.conflicts.push({ from, to });
    return true;
  }

  /** The partition of the case a stored submission created; undefined: the key is gone (lapsed), null: unreadable. */
  private async submissionPartition(key: string): Promise<string | null | undefined> {
    const value = await this.redis.get(key);
    if (value === null) return undefined;
    const businessNo = parseJson<{ businessNo?: unknown }>(value)?.businessNo;
    return typeof businessNo === 'string' ? partitionOfCase(businessNo) : null;
  }

  /** The partition of the division of an upload's window, from the directory in either layout. */
  private async uploadPartition(key: string): Promise<string | null | undefined> {
    const value = await this.redis.get(key);
    if (value === null) return undefined;
    const windowId = parseJson<{ windowId?: unknown }>(value)?.windowId;
    if (typeof windowId !== 'string') return null;
    const [moved, old] = await this.redis.mget(`${this.keyPrefix}window:{windows}:${windowId}`, `${this.keyPrefix}window:${windowId}`);
    const divisionCode = parseJson<{ divisionCode?: unknown }>(moved ?? old ?? '')?.divisionCode;
    return typeof divisionCode === 'string' ? partitionOfDivision(divisionCode) : null;
  }

  private async split(key: string, kind: MoveKind, target: (member: string) => string | null): Promise<boolean> {
    const left = new Set<string>();
    for (let offset = 0; ; ) {
      // Members left behind (unplaced) stay at the front; the window moves past them.
      const members = await this.redis.zrange(key, String(offset), String(offset + this.batch - 1));
      if (members.length === 0) return true;
      const destinations: string[] = [];
      const args: string[] = [];
      for (const member of members) {
        const to = target(member);
        if (to === null) {
          if (!left.has(member)) this.report.unplaced.push({ key, member, reason: 'it names no business number' });
          left.add(member);
          offset++;
          continue;
        }
        let index = destinations.indexOf(to);
        if (index === -1) index = destinations.push(to) - 1;
        args.push(member, String(index + 2));
      }
      if (args.length === 0) continue;
      if (!this.step()) return false;
      const [moved, there] = (await this.redis.eval(SPLIT, 1 + destinations.length, key, ...destinations, ...args)) as [number, number];
      this.report.moved[kind] += moved;
      this.report.alreadyThere += there;
    }
  }
}

/** The case whose change committed to a notification: the case contact it goes to, else the case its idempotency key names. */
function notificationCase(entry: string): string | undefined {
  const message = parseJson<Partial<NotificationJob>>(entry);
  if (message?.recipient?.kind === 'CASE_CONTACT') return message.recipient.businessNo;
  return message?.idempotencyKey ? /^notify-(TB\d{19})-/.exec(message.idempotencyKey)?.[1] : undefined;
}

function parseJson<T>(value: string): T | null {
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed !== null && typeof parsed === 'object' ? (parsed as T) : null;
  } catch {
    return null;
  }
}

/**
 * A cluster never held the old layout (its case script wrote keys of many
 * slots), and this migration's moves cross slots: it runs on the one Redis
 * the old code used, before its keys go to a cluster (SCALING.md).
 */
export class MigrationTargetError extends DomainError {}

export async function migrateLedger(redis: Redis, keyPrefix: string, options?: MigrationOptions): Promise<MigrationReport> {
  if (isCluster(redis)) {
    throw new MigrationTargetError('MIGRATION.CLUSTER_NOT_SUPPORTED', 'migrate-ledger runs on the single Redis the old layout lived on, not on a Redis Cluster: migrate there first, then move the keys to the cluster');
  }
  return new LedgerMigration(redis, keyPrefix, options).run();
}
