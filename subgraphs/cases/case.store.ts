import type { Redis } from 'ioredis';
import type { CaseEvent, CaseRecord } from './case.model.js';

const caseKey = (businessNo: string) => `case:${businessNo}`;
const eventsKey = (businessNo: string) => `case:${businessNo}:events`;
const ALL = 'cases:all';
const byWindow = (windowId: string) => `cases:window:${windowId}`;

/**
 * A case, its indexes and the first entry of its event stream are written by one
 * Lua script: either all of them exist or none does, even if the process dies
 * half-way, and a business number can never be taken twice.
 */
const CREATE_CASE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return 0 end
redis.call('XADD', KEYS[2], '*', 'type', ARGV[3], 'at', ARGV[4], 'data', ARGV[5])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[6])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[6])
if KEYS[5] ~= KEYS[4] then redis.call('ZADD', KEYS[5], ARGV[2], ARGV[6]) end
return 1
`;

export interface CasePage {
  cases: CaseRecord[];
  total: number;
}

export class CaseStore {
  constructor(private readonly redis: Redis) {}

  async getMany(businessNos: readonly string[]): Promise<(CaseRecord | null)[]> {
    if (businessNos.length === 0) return [];
    const values = await this.redis.mget(businessNos.map(caseKey));
    return values.map((value) => (value ? (JSON.parse(value) as CaseRecord) : null));
  }

  async create(record: CaseRecord, event: CaseEvent): Promise<boolean> {
    const created = await this.redis.eval(
      CREATE_CASE,
      5,
      caseKey(record.businessNo),
      eventsKey(record.businessNo),
      ALL,
      byWindow(record.receivingWindowId),
      byWindow(record.jurisdictionWindowId),
      JSON.stringify(record),
      String(Date.parse(record.appliedAt)),
      event.type,
      event.at,
      JSON.stringify(event.data),
      record.businessNo,
    );
    return created === 1;
  }

  /** Newest first, from an index: the cost follows the page size, not the number of cases. */
  async list(filter: { windowId?: string }, offset: number, limit: number): Promise<CasePage> {
    const index = filter.windowId ? byWindow(filter.windowId) : ALL;
    const [businessNos, total] = await Promise.all([
      this.redis.zrevrange(index, String(offset), String(offset + limit - 1)),
      this.redis.zcard(index),
    ]);
    const cases = (await this.getMany(businessNos)).filter((c): c is CaseRecord => c !== null);
    return { cases, total };
  }

  async events(businessNo: string): Promise<CaseEvent[]> {
    const entries = await this.redis.xrange(eventsKey(businessNo), '-', '+');
    return entries.map(([, fields]) => {
      const map = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
      return { type: map.get('type') ?? '', at: map.get('at') ?? '', data: JSON.parse(map.get('data') ?? '{}') };
    });
  }
}
