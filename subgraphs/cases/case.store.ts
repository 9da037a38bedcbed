import type { Redis } from 'ioredis';
import type { CaseEvent, CaseRecord, CaseStage } from './case.model.js';

const caseKey = (businessNo: string) => `case:${businessNo}`;
const eventsKey = (businessNo: string) => `case:${businessNo}:events`;
const ALL = 'cases:all';
const byWindow = (windowId: string) => `cases:window:${windowId}`;
const byStage = (stage: CaseStage) => `cases:stage:${stage}`;
const byWindowStage = (windowId: string, stage: CaseStage) => `cases:window:${windowId}:stage:${stage}`;
const idempotencyKey = (key: string) => `idem:receive:${key}`;
const sequenceKey = (divisionCode: string, date: string) => `seq:business-no:${divisionCode}:${date}`;

interface IndexOp {
  op: 'ZADD' | 'ZREM';
  key: string;
}

/**
 * Writes a case, its event and its index changes as one Lua script: either all
 * happen or none, and only over the version the change was computed from (an
 * optimistic lock), so two workers can never both apply a transition.
 * KEYS: case, events, idempotency, ...indexes. ARGV: expected version (-1: must
 * not exist), record, event type/at/actor/data, score, member, whether the
 * idempotency key applies, ...index ops.
 */
const WRITE_CASE = `
local current = redis.call('GET', KEYS[1])
local expected = tonumber(ARGV[1])
local idempotent = ARGV[9] == '1'
if expected == -1 then
  if idempotent then
    local existing = redis.call('GET', KEYS[3])
    if existing then return {2, existing} end
  end
  if current then return {0, ''} end
else
  if not current then return {-1, ''} end
  if tonumber(cjson.decode(current)['version']) ~= expected then return {0, ''} end
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('XADD', KEYS[2], '*', 'type', ARGV[3], 'at', ARGV[4], 'actor', ARGV[5], 'data', ARGV[6])
if expected == -1 and idempotent then redis.call('SET', KEYS[3], ARGV[8], 'EX', 604800) end
for i = 4, #KEYS do
  if ARGV[6 + i] == 'ZADD' then redis.call('ZADD', KEYS[i], ARGV[7], ARGV[8]) else redis.call('ZREM', KEYS[i], ARGV[8]) end
end
return {1, ARGV[8]}
`;

export type WriteResult = { status: 'WRITTEN' } | { status: 'CONFLICT' } | { status: 'MISSING' } | { status: 'DUPLICATE'; businessNo: string };

export interface CaseQuery {
  windowId?: string;
  stage?: CaseStage;
  appliedFrom?: number;
  appliedTo?: number;
}

function indexKeys(record: CaseRecord): string[] {
  const windows = [...new Set([record.receivingWindowId, record.jurisdictionWindowId])];
  return [ALL, byStage(record.stage), ...windows.flatMap((w) => [byWindow(w), byWindowStage(w, record.stage)])];
}

export class CaseStore {
  constructor(private readonly redis: Redis) {}

  async getMany(businessNos: readonly string[]): Promise<(CaseRecord | null)[]> {
    if (businessNos.length === 0) return [];
    const values = await this.redis.mget(businessNos.map(caseKey));
    return values.map((value) => (value ? (JSON.parse(value) as CaseRecord) : null));
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

  /** A new case; with `requestKey`, a retried submission returns the case the first one created. */
  async create(record: CaseRecord, event: CaseEvent, requestKey?: string): Promise<WriteResult> {
    return this.write(record, event, -1, indexKeys(record).map((key) => ({ op: 'ZADD', key })), requestKey);
  }

  /** Replaces `previous` by `next` if nobody changed the case in between. */
  async update(previous: CaseRecord, next: CaseRecord, event: CaseEvent): Promise<WriteResult> {
    const before = new Set(indexKeys(previous));
    const after = new Set(indexKeys(next));
    const ops: IndexOp[] = [
      ...[...before].filter((key) => !after.has(key)).map((key) => ({ op: 'ZREM' as const, key })),
      ...[...after].filter((key) => !before.has(key)).map((key) => ({ op: 'ZADD' as const, key })),
    ];
    return this.write(next, event, previous.version, ops);
  }

  private async write(record: CaseRecord, event: CaseEvent, expectedVersion: number, ops: IndexOp[], requestKey?: string): Promise<WriteResult> {
    const [status, value] = (await this.redis.eval(
      WRITE_CASE,
      3 + ops.length,
      caseKey(record.businessNo),
      eventsKey(record.businessNo),
      idempotencyKey(requestKey ?? record.businessNo),
      ...ops.map((op) => op.key),
      String(expectedVersion),
      JSON.stringify(record),
      event.type,
      event.at,
      event.actor,
      JSON.stringify(event.data),
      String(Date.parse(record.appliedAt)),
      record.businessNo,
      requestKey ? '1' : '0',
      ...ops.map((op) => op.op),
    )) as [number, string];
    if (status === 1) return { status: 'WRITTEN' };
    if (status === 2) return { status: 'DUPLICATE', businessNo: value };
    return status === 0 ? { status: 'CONFLICT' } : { status: 'MISSING' };
  }

  /** Newest first, from one index: the cost follows the page size, not the number of cases. */
  async list(query: CaseQuery, offset: number, limit: number): Promise<{ cases: CaseRecord[]; total: number }> {
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

  async events(businessNo: string): Promise<CaseEvent[]> {
    const entries = await this.redis.xrange(eventsKey(businessNo), '-', '+');
    return entries.map(([, fields]) => {
      const map = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
      return { type: map.get('type') ?? '', at: map.get('at') ?? '', actor: map.get('actor') ?? '', data: JSON.parse(map.get('data') ?? '{}') };
    });
  }
}
