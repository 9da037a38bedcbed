import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CalendarYearNotPublishedError, endOfShanghaiDay, shanghaiDateOf, type WorkingCalendar } from '../../domain/calendar/index.js';
import { evaluateClock, type ClockStatus } from '../../domain/clock/index.js';
import { regionOfDivision, type Region } from '../../domain/region.js';
import { isCluster, REPLICA_WAIT_MS } from '../../lib/redis.js';
import type { CaseEvent, CaseRecord, CaseStage, CaseStub } from './case.model.js';
import { CASE_ARCHIVE_FORMAT, CLOSED_STAGES, type CaseArchives } from './case-archive.js';
import { PARTITION_TAGS, partitionOfCase, partitionOfDivision } from './case-partitions.js';
import { statisticsDeltas, statisticsKey } from './case-statistics.js';
import { decodeStoredCase, encodeCaseRecord, encodeCaseStub } from './case-record.codec.js';
import { ARCHIVE_CASE, ARCHIVE_CASE_SHA, timetableOps, WRITE_CASE, WRITE_CASE_SHA, type OutboxEntry, type TimetableWrites, type WriteOp } from './case-write.script.js';

const caseKey = (businessNo: string) => `case:${partitionOfCase(businessNo)}:${businessNo}`;
/** Append-only, one JSON entry per event: a list, since Redis gives every stream a 4 KB node whatever it holds. */
const eventsKey = (businessNo: string) => `${caseKey(businessNo)}:events`;
/** The indexes of one partition (case-partitions.ts); a view across cases reads them all. */
const all = (tag: string) => `cases:${tag}:all`;
const byWindow = (tag: string, windowId: string) => `cases:${tag}:window:${windowId}`;
const byStage = (tag: string, stage: CaseStage) => `cases:${tag}:stage:${stage}`;
const byWindowStage = (tag: string, windowId: string, stage: CaseStage) => `cases:${tag}:window:${windowId}:stage:${stage}`;
/** Cases handed in or decided in a region: a supervisor's view. */
const byRegion = (tag: string, region: Region) => `cases:${tag}:region:${region}`;
/** Running clocks (and paused ones with no days left) by due time; other paused ones by the working days they have left. */
export const runningClocksKey = (tag: string) => `cases:${tag}:clock:running`;
export const pausedClocksKey = (tag: string) => `cases:${tag}:clock:paused`;
const stopped = (tag: string) => `cases:${tag}:clock:stopped`;
/** Closed cases still held whole, by their last change: what the archive job walks (ARCHIVE.md); an archived case leaves it. */
const closed = (tag: string) => `cases:${tag}:closed`;
const UNKNOWN_DUE = Number.MAX_SAFE_INTEGER;
/**
 * A request key names a submission within its caller's own namespace (window and
 * subject): hashed with them, so one caller's key can never find another's case,
 * and the stored key has a fixed size whatever the client sent. It lives in the
 * partition of the window's division, where the case it creates will be.
 */
const idempotencyKey = (scope: RequestScope, key: string) =>
  `idem:receive:${partitionOfDivision(scope.divisionCode)}:${createHash('sha256').update(`${scope.windowId}\0${scope.actor}\0${key}`).digest('hex')}`;
const IDEMPOTENCY_TTL_SECONDS = 7 * 24 * 3600;
const sequenceKey = (divisionCode: string, date: string) => `seq:business-no:${divisionCode}:${date}`;

/** Whose submission a request key names: the receiving window (and its division) and the caller as the event stream records them. */
export interface RequestScope {
  windowId: string;
  divisionCode: string;
  actor: string;
}

/** A submission with a request key: `inputDigest` tells a retry (same input) from a key reused for another application. */
export interface SubmissionRequest {
  scope: RequestScope;
  key: string;
  inputDigest: string;
}

/** What a request key stands for once a case was created under it. */
export interface RecordedSubmission {
  businessNo: string;
  inputDigest: string;
}

export type WriteResult =
  | { status: 'WRITTEN' }
  | { status: 'CONFLICT' }
  | { status: 'MISSING' }
  /** A claimed key (an uploaded file's record) was gone: bound already, or expired. */
  | { status: 'GONE' }
  | ({ status: 'DUPLICATE' } & RecordedSubmission);

export interface CaseQuery {
  windowId?: string;
  region?: Region;
  stage?: CaseStage;
  appliedFrom?: number;
  appliedTo?: number;
  clockStatus?: ClockStatus;
}

/** What archiving one case came to: NOT_DUE when it is not (or no longer) closed long enough, or is archived already. */
export type ArchiveOutcome = { status: 'ARCHIVED'; sha256: string; size: number } | { status: 'CONFLICT' } | { status: 'NOT_DUE' };

export class CaseStore {
  private readonly cluster: boolean;

  constructor(
    private readonly redis: Redis,
    private readonly calendar: WorkingCalendar,
    private readonly archives: CaseArchives,
  ) {
    this.cluster = isCluster(redis);
  }

  /** Every index entry of a case, with its score: an index holds a case exactly while this lists it. */
  private indexEntries(record: CaseRecord): Map<string, number> {
    const tag = partitionOfCase(record.businessNo);
    const applied = Date.parse(record.appliedAt);
    const windows = [...new Set([record.receivingWindowId, record.jurisdictionWindowId])];
    const entries = new Map<string, number>([[all(tag), applied], [byStage(tag, record.stage), applied]]);
    for (const w of windows) {
      entries.set(byWindow(tag, w), applied);
      entries.set(byWindowStage(tag, w, record.stage), applied);
    }
    for (const region of new Set([record.jurisdictionRegion, regionOfDivision(record.receivingDivisionCode)])) {
      if (region) entries.set(byRegion(tag, region), applied);
    }
    const phase = record.clock.phase;
    if (phase === 'STOPPED') entries.set(stopped(tag), applied);
    if (CLOSED_STAGES.includes(record.stage)) entries.set(closed(tag), Date.parse(record.updatedAt));
    if (phase === 'RUNNING' || phase === 'PAUSED') {
      const limit = record.item.promisedLimitDays;
      const lastEvent = record.clock.events.at(-1)!.at;
      const clock = this.evaluateForIndex(record, limit, lastEvent);
      if (!clock) entries.set(runningClocksKey(tag), UNKNOWN_DUE);
      // A paused clock whose limit is used up has a fixed due day, and is listed by it like a running one.
      else if (phase === 'RUNNING' || clock.dueAt) entries.set(runningClocksKey(tag), Date.parse(clock.dueAt ?? lastEvent));
      else entries.set(pausedClocksKey(tag), limit - clock.consumedWorkingDays);
    }
    return entries;
  }

  /**
   * A due date in a year whose holiday notice is not yet published cannot be
   * known. Such a case must still be stored; it is indexed as due "later" until
   * ops load the notice (`Case.clock` meanwhile reports CALENDAR.YEAR_NOT_PUBLISHED).
   */
  private evaluateForIndex(record: CaseRecord, limit: number, at: string) {
    try {
      return evaluateClock(record.clock, limit, at, this.calendar);
    } catch (error) {
      if (error instanceof CalendarYearNotPublishedError) return null;
      throw error;
    }
  }

  async getMany(businessNos: readonly string[]): Promise<(CaseRecord | null)[]> {
    if (businessNos.length === 0) return [];
    // One MGET per partition, since a cluster refuses keys of several slots in one; auto-pipelined, still one round trip on one Redis.
    const groups = new Map<string, number[]>();
    businessNos.forEach((businessNo, index) => {
      const tag = partitionOfCase(businessNo);
      const group = groups.get(tag);
      if (group) group.push(index);
      else groups.set(tag, [index]);
    });
    const found: (CaseRecord | null)[] = new Array(businessNos.length).fill(null);
    const archived: Promise<void>[] = [];
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        const values = await this.redis.mgetBuffer(indexes.map((index) => caseKey(businessNos[index]!)));
        values.forEach((value, i) => {
          if (!value) return;
          const stored = decodeStoredCase(value);
          if (stored.kind === 'RECORD') found[indexes[i]!] = stored.record;
          else archived.push(this.fromArchive(stored.version, stored.stub).then((record) => void (found[indexes[i]!] = record)));
        });
      }),
    );
    // The archives of a batch are fetched together: a page of closed cases is one wait on the file store, not one per case.
    await Promise.all(archived);
    return found;
  }

  /** An archived case as it was, with the stub's version, which a change to it writes over. */
  private async fromArchive(version: number, stub: CaseStub): Promise<CaseRecord> {
    const document = await this.archives.read(stub.businessNo, stub.archive);
    return { ...document.record, version, archive: stub.archive };
  }

  async get(businessNo: string): Promise<CaseRecord | null> {
    return (await this.getMany([businessNo]))[0] ?? null;
  }

  /** The next number of a division's day: atomic, so two windows never print the same 业务编号. */
  async nextSequence(divisionCode: string, date: string): Promise<number> {
    const key = sequenceKey(divisionCode, date);
    const [[, value] = [null, 0]] = (await this.redis.multi().incr(key).expire(key, 3 * 24 * 3600).exec()) ?? [];
    return Number(value);
  }

  /** The case a request key already created, if any: looked up before a business number is taken, so a retry uses none. */
  async findSubmission(request: SubmissionRequest): Promise<RecordedSubmission | null> {
    const value = await this.redis.get(idempotencyKey(request.scope, request.key));
    return value ? (JSON.parse(value) as RecordedSubmission) : null;
  }

  /** A new case; with a request, a retried submission finds the case the first one created (DUPLICATE). */
  async create(record: CaseRecord, event: CaseEvent, request?: SubmissionRequest, alerts?: TimetableWrites): Promise<WriteResult> {
    const ops: WriteOp[] = [...this.indexEntries(record)].map(([key, score]) => ({ op: 'ZADD', key, score }));
    return this.write(record, event, -1, [...ops, ...this.counters(null, record), ...timetableOps(alerts)], request);
  }

  /** Replaces `previous` by `next` if nobody changed the case in between, and only while every `claims` key exists (it is deleted). */
  async update(
    previous: CaseRecord,
    next: CaseRecord,
    event: CaseEvent,
    alerts?: TimetableWrites,
    outbox: readonly OutboxEntry[] = [],
    claims: readonly string[] = [],
  ): Promise<WriteResult> {
    const before = this.indexEntries(previous);
    const after = this.indexEntries(next);
    const ops: WriteOp[] = [
      ...[...before.keys()].filter((key) => !after.has(key)).map((key) => ({ op: 'ZREM' as const, key })),
      ...[...after].filter(([key, score]) => before.get(key) !== score).map(([key, score]) => ({ op: 'ZADD' as const, key, score })),
      ...this.counters(previous, next),
      ...timetableOps(alerts),
      ...outbox.map((entry): WriteOp => ({ op: 'ZADD', ...entry })),
      ...claims.map((key): WriteOp => ({ op: 'CLAIM', key })),
    ];
    return this.write(next, event, previous.version, ops);
  }

  private counters(previous: CaseRecord | null, next: CaseRecord): WriteOp[] {
    return statisticsDeltas(previous, next, this.calendar).map((delta) => ({ op: 'HINCRBY' as const, ...delta }));
  }

  /** The day's counters, every partition's summed; one round trip for all the days asked. */
  async statistics(dates: readonly string[]): Promise<Record<string, string>[]> {
    const days = await Promise.all(dates.map((date) => Promise.all(PARTITION_TAGS.map((tag) => this.redis.hgetall(statisticsKey(tag, date))))));
    return days.map((parts) => {
      const sum = new Map<string, number>();
      for (const part of parts) for (const [field, value] of Object.entries(part)) sum.set(field, (sum.get(field) ?? 0) + Number(value));
      return Object.fromEntries([...sum].map(([field, value]) => [field, String(value)]));
    });
  }

  private async write(record: CaseRecord, event: CaseEvent, expectedVersion: number, ops: WriteOp[], request?: SubmissionRequest): Promise<WriteResult> {
    const submission: RecordedSubmission | null = request ? { businessNo: record.businessNo, inputDigest: request.inputDigest } : null;
    const args = [
      3 + ops.length,
      caseKey(record.businessNo),
      eventsKey(record.businessNo),
      // Without a request the script never touches this key.
      request ? idempotencyKey(request.scope, request.key) : `idem:receive:${partitionOfCase(record.businessNo)}:none:${record.businessNo}`,
      ...ops.map((op) => op.key),
      String(expectedVersion),
      encodeCaseRecord(record),
      event.type,
      event.at,
      event.actor,
      JSON.stringify(event.data),
      record.businessNo,
      submission ? JSON.stringify(submission) : '',
      String(IDEMPOTENCY_TTL_SECONDS),
      ...ops.flatMap((op) =>
        op.op === 'ZADD'
          ? [op.op, String(op.score), op.member ?? '']
          : op.op === 'ZREM'
            ? [op.op, op.member ?? '', '']
            : op.op === 'CLAIM'
              ? [op.op, '', '']
              : [op.op, op.field, String(op.amount)],
      ),
    ] as const;
    const [status, value] = (await this.runScript(WRITE_CASE_SHA, WRITE_CASE, args)) as [number, string];
    if (status === 1) return { status: 'WRITTEN' };
    if (status === 2) return { status: 'DUPLICATE', ...(JSON.parse(value) as RecordedSubmission) };
    if (status === 3) return { status: 'GONE' };
    return status === 0 ? { status: 'CONFLICT' } : { status: 'MISSING' };
  }

  /** By its digest, so the script's text is not sent and hashed again on every write; Redis forgets scripts on a restart, hence the fallback. */
  private async runScript(sha: string, script: string, args: readonly [number, ...(string | Buffer)[]]): Promise<unknown> {
    try {
      return await this.replicated('evalsha', sha, args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.replicated('eval', script, args);
    }
  }

  /**
   * On a cluster, a master acknowledges before its replica has the write, and a
   * failover in between would lose an accepted case: the write is answered only
   * once a replica has it too (WAIT, sent down the same connection to the same
   * master), or after REPLICA_WAIT_MS without one, a replica down or lagging
   * being no reason to stop taking cases (SCALING.md).
   */
  private async replicated(command: 'evalsha' | 'eval', script: string, args: readonly [number, ...(string | Buffer)[]]): Promise<unknown> {
    if (!this.cluster) return this.redis[command](script, ...args);
    const replies = (await this.redis.pipeline()[command](script, ...args).wait(1, REPLICA_WAIT_MS).exec()) ?? [];
    const [error, result] = replies[0] ?? [new Error('no reply to the case write')];
    if (error) throw error;
    return result;
  }

  /**
   * Newest first, from one index per partition: the cost follows the page size
   * (times the partitions), not the number of cases. With a clock status, most
   * urgent first: the clock index gives the candidates by due time, and the
   * other filters are checked against their indexes in one call each, never by
   * reading cases. Partitions are read in parallel and merged in the order one
   * index would have given.
   */
  async list(query: CaseQuery, offset: number, limit: number, now = new Date()): Promise<{ cases: CaseRecord[]; total: number }> {
    const { windowId, stage, region } = query;
    if (query.clockStatus || (region && (windowId || stage))) return this.listFiltered(query, offset, limit, now);
    // A region's index is scored by application time like the others: read as one, not as candidates to filter.
    const index = (tag: string) =>
      region
        ? byRegion(tag, region)
        : windowId && stage
          ? byWindowStage(tag, windowId, stage)
          : windowId
            ? byWindow(tag, windowId)
            : stage
              ? byStage(tag, stage)
              : all(tag);
    const max = query.appliedTo === undefined ? '+inf' : String(query.appliedTo);
    const min = query.appliedFrom === undefined ? '-inf' : String(query.appliedFrom);
    const wanted = Math.min(offset + limit, Number.MAX_SAFE_INTEGER);
    const parts = await Promise.all(
      PARTITION_TAGS.map(async (tag) => {
        const [flat, count] = await Promise.all([
          this.redis.zrevrangebyscore(index(tag), max, min, 'WITHSCORES', 'LIMIT', 0, wanted),
          this.redis.zcount(index(tag), min, max),
        ]);
        return { entries: scored(flat, 0), count };
      }),
    );
    const page = parts.flatMap((part) => part.entries).sort(newestFirst).slice(offset, offset + limit);
    const cases = (await this.getMany(page.map((entry) => entry.member))).filter((c): c is CaseRecord => c !== null);
    return { cases, total: parts.reduce((sum, part) => sum + part.count, 0) };
  }

  /**
   * Every case of a stage, partition by partition in pages of `batch`, in no
   * order across partitions: for sweeps that visit all of them, which a merged
   * listing would make read each partition's head again for every page.
   */
  async *eachInStage(stage: CaseStage, batch: number): AsyncGenerator<CaseRecord[]> {
    for (const tag of PARTITION_TAGS) {
      for (let offset = 0; ; offset += batch) {
        const businessNos = await this.redis.zrevrange(byStage(tag, stage), offset, offset + batch - 1);
        const cases = (await this.getMany(businessNos)).filter((c): c is CaseRecord => c !== null);
        if (cases.length) yield cases;
        if (businessNos.length < batch) break;
      }
    }
  }

  private async listFiltered(query: CaseQuery, offset: number, limit: number, now: Date) {
    const parts = await Promise.all(PARTITION_TAGS.map((tag) => this.candidatesIn(tag, query, now)));
    const candidates = parts.flat().sort(query.clockStatus && query.clockStatus !== 'STOPPED' ? mostUrgentFirst : newestFirst);
    const cases = (await this.getMany(candidates.slice(offset, offset + limit).map((entry) => entry.member))).filter((c): c is CaseRecord => c !== null);
    return { cases, total: candidates.length };
  }

  /** One partition's cases that pass every filter of the query, with the scores they are ordered by. */
  private async candidatesIn(tag: string, query: CaseQuery, now: Date): Promise<Scored[]> {
    const status = query.clockStatus;
    let candidates: Scored[];
    if (!status) {
      candidates = scored(await this.redis.zrevrange(byRegion(tag, query.region!), '0', '-1', 'WITHSCORES'), 0);
    } else if (status === 'STOPPED') {
      candidates = scored(await this.redis.zrevrange(stopped(tag), '0', '-1', 'WITHSCORES'), 0);
    } else {
      const nowMs = now.getTime();
      // ≤ 1 working day left: due by the end of the next working day.
      const atRiskUntil = Date.parse(endOfShanghaiDay(this.calendar.nextWorkingDay(shanghaiDateOf(now))));
      const [runningMin, runningMax, pausedMin, pausedMax] =
        status === 'OVERDUE'
          ? ['-inf', `(${nowMs}`, '-inf', '(0']
          : status === 'AT_RISK'
            ? [String(nowMs), String(atRiskUntil), '0', '1']
            : [`(${atRiskUntil}`, '+inf', '(1', '+inf'];
      const [running, paused] = await Promise.all([
        this.redis.zrangebyscore(runningClocksKey(tag), runningMin, runningMax, 'WITHSCORES'),
        this.redis.zrangebyscore(pausedClocksKey(tag), pausedMin, pausedMax, 'WITHSCORES'),
      ]);
      candidates = [...scored(running, 0), ...scored(paused, 1)];
    }
    const filters: [string, (score: number) => boolean][] = [];
    if (status && query.region) filters.push([byRegion(tag, query.region), () => true]);
    if (query.windowId || query.stage) {
      const { windowId, stage } = query;
      filters.push([windowId && stage ? byWindowStage(tag, windowId, stage) : windowId ? byWindow(tag, windowId) : byStage(tag, stage!), () => true]);
    }
    if (query.appliedFrom !== undefined || query.appliedTo !== undefined) {
      const from = query.appliedFrom ?? -Infinity;
      const to = query.appliedTo ?? Infinity;
      filters.push([all(tag), (applied) => applied >= from && applied <= to]);
    }
    for (const [index, accept] of filters) {
      if (candidates.length === 0) break;
      const scores = await this.redis.zmscore(index, ...candidates.map((entry) => entry.member));
      candidates = candidates.filter((_, i) => scores[i] !== null && accept(Number(scores[i])));
    }
    return candidates;
  }

  /** An audit entry that changes nothing else, e.g. who read unmasked personal data. */
  async appendEvent(businessNo: string, event: CaseEvent): Promise<void> {
    await this.redis.rpush(eventsKey(businessNo), JSON.stringify({ type: event.type, at: event.at, actor: event.actor, data: JSON.stringify(event.data) }));
  }

  /** The whole stream: an archived case's events from its archive, then those appended in Redis since. */
  async events(businessNo: string): Promise<CaseEvent[]> {
    const [stored, entries] = await Promise.all([this.redis.getBuffer(caseKey(businessNo)), this.redis.lrange(eventsKey(businessNo), 0, -1)]);
    const live = parseEvents(entries);
    const archive = stored && archiveOf(decodeStoredCase(stored));
    if (!archive) return live;
    return [...(await this.archives.read(businessNo, archive)).events, ...live];
  }

  /** One partition's closed cases held whole whose last change was at or before `until`, oldest first. */
  closedBefore(tag: string, until: number, offset: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(closed(tag), '-inf', String(until), 'LIMIT', offset, limit);
  }

  /**
   * Archives a closed case unchanged since `until`: the document is written
   * and read back first, then the stub replaces the record in one script over
   * the record's version. A crash between the two leaves the record as it was
   * and an archive file that the next run writes again byte for byte (the
   * document holds nothing of the run), so the case is archived once.
   */
  async archive(businessNo: string, until: number, archivedAt: string, shipments: () => Promise<unknown[]>): Promise<ArchiveOutcome> {
    const [stored, entries] = await Promise.all([this.redis.getBuffer(caseKey(businessNo)), this.redis.lrange(eventsKey(businessNo), 0, -1)]);
    if (!stored) return { status: 'NOT_DUE' };
    const decoded = decodeStoredCase(stored);
    if (decoded.kind === 'STUB') return { status: 'NOT_DUE' };
    const { archive: earlier, ...record } = decoded.record;
    if (!CLOSED_STAGES.includes(record.stage) || Date.parse(record.updatedAt) > until) return { status: 'NOT_DUE' };
    const live = parseEvents(entries);
    const events = earlier ? [...(await this.archives.read(businessNo, earlier)).events, ...live] : live;
    const file = await this.archives.write({ format: CASE_ARCHIVE_FORMAT, record, events, shipments: await shipments() });
    const stub: CaseStub = {
      businessNo,
      stage: record.stage,
      scope: record.scope,
      itemCode: record.itemCode,
      itemName: record.item.name,
      jurisdictionRegion: record.jurisdictionRegion,
      receivingWindowId: record.receivingWindowId,
      jurisdictionWindowId: record.jurisdictionWindowId,
      receivingDivisionCode: record.receivingDivisionCode,
      appliedAt: record.appliedAt,
      closedAt: record.updatedAt,
      archivedAt,
      archive: file,
    };
    const args = [
      3,
      caseKey(businessNo),
      eventsKey(businessNo),
      closed(partitionOfCase(businessNo)),
      String(record.version),
      encodeCaseStub(record.version + 1, stub),
      businessNo,
      String(entries.length),
    ] as const;
    const swapped = Number(await this.runScript(ARCHIVE_CASE_SHA, ARCHIVE_CASE, args));
    return swapped === 1 ? { status: 'ARCHIVED', ...file } : swapped === 0 ? { status: 'CONFLICT' } : { status: 'NOT_DUE' };
  }
}

function parseEvents(entries: string[]): CaseEvent[] {
  return entries.map((entry) => {
    const event = JSON.parse(entry) as { type: string; at: string; actor: string; data: string };
    return { ...event, data: JSON.parse(event.data) as Record<string, unknown> };
  });
}

function archiveOf(stored: ReturnType<typeof decodeStoredCase>): CaseStub['archive'] | undefined {
  return stored.kind === 'STUB' ? stored.stub.archive : stored.record.archive;
}

/** An index entry as a merge across partitions orders it: `group` first (running clocks before paused ones). */
interface Scored {
  member: string;
  score: number;
  group: number;
}

function scored(flat: string[], group: number): Scored[] {
  const entries: Scored[] = [];
  for (let i = 0; i < flat.length; i += 2) entries.push({ member: flat[i]!, score: Number(flat[i + 1]), group });
  return entries;
}

const byMember = (a: Scored, b: Scored) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0);

/** As ZREVRANGE orders one index: highest score first, ties by member, highest first. */
const newestFirst = (a: Scored, b: Scored) => b.score - a.score || byMember(b, a);

/** As ZRANGEBYSCORE orders the clock indexes, running ones before paused ones. */
const mostUrgentFirst = (a: Scored, b: Scored) => a.group - b.group || a.score - b.score || byMember(a, b);
