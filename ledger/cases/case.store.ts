import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CalendarYearNotPublishedError, endOfShanghaiDay, shanghaiDateOf, type WorkingCalendar } from '../../domain/calendar/index.js';
import { evaluateClock, type ClockStatus } from '../../domain/clock/index.js';
import { regionOfDivision, type Region } from '../../domain/region.js';
import type { CaseEvent, CaseRecord, CaseStage } from './case.model.js';
import { statisticsDeltas, statisticsKey } from './case-statistics.js';
import { decodeCaseRecord, encodeCaseRecord } from './case-record.codec.js';
import { timetableOps, WRITE_CASE, WRITE_CASE_SHA, type OutboxEntry, type TimetableWrites, type WriteOp } from './case-write.script.js';

const caseKey = (businessNo: string) => `case:${businessNo}`;
/** Append-only, one JSON entry per event: a list, since Redis gives every stream a 4 KB node whatever it holds. */
const eventsKey = (businessNo: string) => `case:${businessNo}:events`;
const ALL = 'cases:all';
const byWindow = (windowId: string) => `cases:window:${windowId}`;
const byStage = (stage: CaseStage) => `cases:stage:${stage}`;
const byWindowStage = (windowId: string, stage: CaseStage) => `cases:window:${windowId}:stage:${stage}`;
/** Cases handed in or decided in a region: a supervisor's view. */
const byRegion = (region: Region) => `cases:region:${region}`;
/** Running clocks (and paused ones with no days left) by due time; other paused ones by the working days they have left. */
const RUNNING = 'cases:clock:running';
const PAUSED = 'cases:clock:paused';
const STOPPED = 'cases:clock:stopped';
const UNKNOWN_DUE = Number.MAX_SAFE_INTEGER;
/**
 * A request key names a submission within its caller's own namespace (window and
 * subject): hashed with them, so one caller's key can never find another's case,
 * and the stored key has a fixed size whatever the client sent.
 */
const idempotencyKey = (scope: RequestScope, key: string) =>
  `idem:receive:${createHash('sha256').update(`${scope.windowId}\0${scope.actor}\0${key}`).digest('hex')}`;
const IDEMPOTENCY_TTL_SECONDS = 7 * 24 * 3600;
const sequenceKey = (divisionCode: string, date: string) => `seq:business-no:${divisionCode}:${date}`;

/** Whose submission a request key names: the receiving window and the caller as the event stream records them. */
export interface RequestScope {
  windowId: string;
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

export class CaseStore {
  constructor(
    private readonly redis: Redis,
    private readonly calendar: WorkingCalendar,
  ) {}

  /** Every index entry of a case, with its score: an index holds a case exactly while this lists it. */
  private indexEntries(record: CaseRecord): Map<string, number> {
    const applied = Date.parse(record.appliedAt);
    const windows = [...new Set([record.receivingWindowId, record.jurisdictionWindowId])];
    const entries = new Map<string, number>([[ALL, applied], [byStage(record.stage), applied]]);
    for (const w of windows) {
      entries.set(byWindow(w), applied);
      entries.set(byWindowStage(w, record.stage), applied);
    }
    for (const region of new Set([record.jurisdictionRegion, regionOfDivision(record.receivingDivisionCode)])) {
      if (region) entries.set(byRegion(region), applied);
    }
    const phase = record.clock.phase;
    if (phase === 'STOPPED') entries.set(STOPPED, applied);
    if (phase === 'RUNNING' || phase === 'PAUSED') {
      const limit = record.item.promisedLimitDays;
      const lastEvent = record.clock.events.at(-1)!.at;
      const clock = this.evaluateForIndex(record, limit, lastEvent);
      if (!clock) entries.set(RUNNING, UNKNOWN_DUE);
      // A paused clock whose limit is used up has a fixed due day, and is listed by it like a running one.
      else if (phase === 'RUNNING' || clock.dueAt) entries.set(RUNNING, Date.parse(clock.dueAt ?? lastEvent));
      else entries.set(PAUSED, limit - clock.consumedWorkingDays);
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
    const values = await this.redis.mgetBuffer(businessNos.map(caseKey));
    return values.map((value) => (value ? decodeCaseRecord(value) : null));
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

  /** The day's counters, one round trip for all the days asked. */
  async statistics(dates: readonly string[]): Promise<Record<string, string>[]> {
    const pipeline = this.redis.pipeline();
    for (const date of dates) pipeline.hgetall(statisticsKey(date));
    return ((await pipeline.exec()) ?? []).map(([error, value]) => {
      if (error) throw error;
      return value as Record<string, string>;
    });
  }

  private async write(record: CaseRecord, event: CaseEvent, expectedVersion: number, ops: WriteOp[], request?: SubmissionRequest): Promise<WriteResult> {
    const submission: RecordedSubmission | null = request ? { businessNo: record.businessNo, inputDigest: request.inputDigest } : null;
    const args = [
      3 + ops.length,
      caseKey(record.businessNo),
      eventsKey(record.businessNo),
      // Without a request the script never touches this key.
      request ? idempotencyKey(request.scope, request.key) : `idem:receive:none:${record.businessNo}`,
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
    const [status, value] = (await this.runWriteScript(args)) as [number, string];
    if (status === 1) return { status: 'WRITTEN' };
    if (status === 2) return { status: 'DUPLICATE', ...(JSON.parse(value) as RecordedSubmission) };
    if (status === 3) return { status: 'GONE' };
    return status === 0 ? { status: 'CONFLICT' } : { status: 'MISSING' };
  }

  /** By its digest, so the script's text is not sent and hashed again on every write; Redis forgets scripts on a restart, hence the fallback. */
  private async runWriteScript(args: readonly [number, ...(string | Buffer)[]]): Promise<unknown> {
    try {
      return await this.redis.evalsha(WRITE_CASE_SHA, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.redis.eval(WRITE_CASE, ...args);
    }
  }

  /**
   * Newest first, from one index: the cost follows the page size, not the number
   * of cases. With a clock status, most urgent first: the clock index gives the
   * candidates by due time, and the other filters are checked against their
   * indexes in one call each, never by reading cases.
   */
  async list(query: CaseQuery, offset: number, limit: number, now = new Date()): Promise<{ cases: CaseRecord[]; total: number }> {
    if (query.clockStatus || query.region) return this.listFiltered(query, offset, limit, now);
    const index =
      query.windowId && query.stage
        ? byWindowStage(query.windowId, query.stage)
        : query.windowId
          ? byWindow(query.windowId)
          : query.stage
            ? byStage(query.stage)
            : ALL;
    const max = query.appliedTo === undefined ? '+inf' : String(query.appliedTo);
    const min = query.appliedFrom === undefined ? '-inf' : String(query.appliedFrom);
    const [businessNos, total] = await Promise.all([
      this.redis.zrevrangebyscore(index, max, min, 'LIMIT', offset, limit),
      this.redis.zcount(index, min, max),
    ]);
    const cases = (await this.getMany(businessNos)).filter((c): c is CaseRecord => c !== null);
    return { cases, total };
  }

  private async listFiltered(query: CaseQuery, offset: number, limit: number, now: Date) {
    const status = query.clockStatus;
    let candidates: string[];
    if (!status) {
      candidates = await this.redis.zrevrange(byRegion(query.region!), '0', '-1');
    } else if (status === 'STOPPED') {
      candidates = await this.redis.zrevrange(STOPPED, '0', '-1');
    } else {
      const nowMs = now.getTime();
      // ≤ 1 working day left: due by the end of the next working day.
      const atRiskUntil = Date.parse(endOfShanghaiDay(this.calendar.nextWorkingDay(shanghaiDateOf(now))));
      const [running, paused] =
        status === 'OVERDUE'
          ? [this.redis.zrangebyscore(RUNNING, '-inf', `(${nowMs}`), this.redis.zrangebyscore(PAUSED, '-inf', '(0')]
          : status === 'AT_RISK'
            ? [this.redis.zrangebyscore(RUNNING, String(nowMs), String(atRiskUntil)), this.redis.zrangebyscore(PAUSED, '0', '1')]
            : [this.redis.zrangebyscore(RUNNING, `(${atRiskUntil}`, '+inf'), this.redis.zrangebyscore(PAUSED, '(1', '+inf')];
      candidates = [...(await running), ...(await paused)];
    }
    const filters: [string, (score: number) => boolean][] = [];
    if (status && query.region) filters.push([byRegion(query.region), () => true]);
    if (query.windowId || query.stage) {
      const index = query.windowId && query.stage ? byWindowStage(query.windowId, query.stage) : query.windowId ? byWindow(query.windowId) : byStage(query.stage!);
      filters.push([index, () => true]);
    }
    if (query.appliedFrom !== undefined || query.appliedTo !== undefined) {
      const from = query.appliedFrom ?? -Infinity;
      const to = query.appliedTo ?? Infinity;
      filters.push([ALL, (applied) => applied >= from && applied <= to]);
    }
    for (const [index, accept] of filters) {
      if (candidates.length === 0) break;
      const scores = await this.redis.zmscore(index, ...candidates);
      candidates = candidates.filter((_, i) => scores[i] !== null && accept(Number(scores[i])));
    }
    const cases = (await this.getMany(candidates.slice(offset, offset + limit))).filter((c): c is CaseRecord => c !== null);
    return { cases, total: candidates.length };
  }

  /** An audit entry that changes nothing else, e.g. who read unmasked personal data. */
  async appendEvent(businessNo: string, event: CaseEvent): Promise<void> {
    await this.redis.rpush(eventsKey(businessNo), JSON.stringify({ type: event.type, at: event.at, actor: event.actor, data: JSON.stringify(event.data) }));
  }

  async events(businessNo: string): Promise<CaseEvent[]> {
    const entries = await this.redis.lrange(eventsKey(businessNo), 0, -1);
    return entries.map((entry) => {
      const event = JSON.parse(entry) as { type: string; at: string; actor: string; data: string };
      return { ...event, data: JSON.parse(event.data) };
    });
  }
}
