import type { Redis } from 'ioredis';
import type { Region } from '../../domain/region.js';
import type { WindowChange, WindowRecord } from './window.model.js';

/**
 * The directory is one slot's worth (a few thousand windows): every key carries
 * the hash tag {windows}, so one write script moves a window and its indexes
 * together on Redis Cluster too.
 */
const windowKey = (id: string) => `window:{windows}:${id}`;
const historyKey = (id: string) => `window:{windows}:${id}:history`;
const ALL = 'windows:{windows}:all';
const byRegion = (region: Region) => `windows:{windows}:region:${region}`;
const byDivision = (divisionCode: string) => `windows:{windows}:division:${divisionCode}`;
/** Bumped by every write: readers that cache windows compare it to know whether they still may. */
const GENERATION = 'windows:{windows}:generation';
const SEEDED = 'windows:{windows}:seeded';

/**
 * Replaces a window, appends its history entry, moves its index entries and bumps
 * the directory generation, all or nothing, and only over the version the change
 * was computed from: a concurrent writer makes it return 0 rather than overwrite
 * what it has not seen. A window that does not exist counts as version 0.
 * KEYS: window, history, generation, all, new region, new division, old region,
 * old division. ARGV: expected version, record, history entry, id.
 */
const WRITE_WINDOW = `
local current = redis.call('GET', KEYS[1])
local version = 0
if current then version = tonumber(cjson.decode(current)['version']) or 0 end
if version ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('SREM', KEYS[7], ARGV[4])
redis.call('SREM', KEYS[8], ARGV[4])
redis.call('SADD', KEYS[4], ARGV[4])
redis.call('SADD', KEYS[5], ARGV[4])
redis.call('SADD', KEYS[6], ARGV[4])
return redis.call('INCR', KEYS[3])
`;

export interface WindowFilter {
  region?: Region;
  divisionCode?: string;
}

export class WindowStore {
  constructor(private readonly redis: Redis) {}

  /** One round trip for any number of ids; aligned with `ids`, null where unknown. */
  async getMany(ids: readonly string[]): Promise<(WindowRecord | null)[]> {
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map(windowKey));
    return values.map(decode);
  }

  /**
   * The windows together with the generation they belong to, read in one command
   * so that the pair is consistent: a cache may keep them exactly as long as the
   * generation stays the same.
   */
  async snapshot(ids: readonly string[]): Promise<{ generation: string; windows: (WindowRecord | null)[] }> {
    const [generation, ...values] = await this.redis.mget(GENERATION, ...ids.map(windowKey));
    return { generation: generation ?? '0', windows: values.map(decode) };
  }

  async generation(): Promise<string> {
    return (await this.redis.get(GENERATION)) ?? '0';
  }

  /** Ids in the indexes, sorted, without reading a single window. */
  async ids(filter: WindowFilter): Promise<string[]> {
    const sets = [ALL];
    if (filter.region) sets.push(byRegion(filter.region));
    if (filter.divisionCode) sets.push(byDivision(filter.divisionCode));
    return (await this.redis.sinter(...sets)).sort();
  }

  async list(filter: WindowFilter): Promise<WindowRecord[]> {
    return (await this.getMany(await this.ids(filter))).filter((window): window is WindowRecord => window !== null);
  }

  /**
   * Writes `next` over `previous` (null: a new window) with its history entry.
   * False when someone else changed the window since `previous` was read.
   */
  async write(previous: WindowRecord | null, next: WindowRecord, change: WindowChange): Promise<boolean> {
    const old = previous ?? next;
    const generation = await this.redis.eval(
      WRITE_WINDOW,
      8,
      windowKey(next.id),
      historyKey(next.id),
      GENERATION,
      ALL,
      byRegion(next.region),
      byDivision(next.divisionCode),
      byRegion(old.region),
      byDivision(old.divisionCode),
      String(previous?.version ?? 0),
      JSON.stringify(next),
      JSON.stringify(change),
      next.id,
    );
    return generation !== 0;
  }

  /** Each window's changes, oldest first; aligned with `ids`. */
  async histories(ids: readonly string[]): Promise<WindowChange[][]> {
    const lists = await Promise.all(ids.map((id) => this.redis.lrange(historyKey(id), 0, -1)));
    return lists.map((entries) => entries.map((entry) => JSON.parse(entry) as WindowChange));
  }

  async isSeeded(): Promise<boolean> {
    return (await this.redis.exists(SEEDED)) === 1;
  }

  async markSeeded(at: string): Promise<void> {
    await this.redis.set(SEEDED, at);
  }
}

/**
 * Windows stored before the directory became editable have no version, update
 * time or item list: they read as version 0, never updated, accepting every item.
 */
function decode(value: string | null): WindowRecord | null {
  if (!value) return null;
  const stored = JSON.parse(value) as Omit<WindowRecord, 'itemCodes' | 'version' | 'updatedAt'> & Partial<WindowRecord>;
  return { ...stored, itemCodes: stored.itemCodes ?? [], version: stored.version ?? 0, updatedAt: stored.updatedAt ?? null };
}
