import type { Redis } from 'ioredis';
import type { Region } from '../../domain/region.js';
import type { WindowRecord } from './window.model.js';

const windowKey = (id: string) => `window:${id}`;
const ALL = 'windows:all';
const byRegion = (region: Region) => `windows:region:${region}`;
const byDivision = (divisionCode: string) => `windows:division:${divisionCode}`;

export class WindowStore {
  constructor(private readonly redis: Redis) {}

  /** One round trip for any number of ids; aligned with `ids`, null where unknown. */
  async getMany(ids: readonly string[]): Promise<(WindowRecord | null)[]> {
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map(windowKey));
    return values.map((value) => (value ? (JSON.parse(value) as WindowRecord) : null));
  }

  async list(filter: { region?: Region; divisionCode?: string }): Promise<WindowRecord[]> {
    const sets = [ALL];
    if (filter.region) sets.push(byRegion(filter.region));
    if (filter.divisionCode) sets.push(byDivision(filter.divisionCode));
    const ids = (await this.redis.sinter(...sets)).sort();
    return (await this.getMany(ids)).filter((window): window is WindowRecord => window !== null);
  }

  /** Writes the record and its index entries in one transaction, so an index never points at nothing. */
  async put(window: WindowRecord): Promise<void> {
    const previous = (await this.getMany([window.id]))[0];
    const tx = this.redis.multi().set(windowKey(window.id), JSON.stringify(window));
    if (previous) {
      tx.srem(byRegion(previous.region), window.id).srem(byDivision(previous.divisionCode), window.id);
    }
    await tx
      .sadd(ALL, window.id)
      .sadd(byRegion(window.region), window.id)
      .sadd(byDivision(window.divisionCode), window.id)
      .exec();
  }

  /** Loads the sample directory into an empty store; a directory already kept current is left alone. */
  async seedIfEmpty(windows: readonly WindowRecord[]): Promise<boolean> {
    const claimed = await this.redis.set('windows:seeded', new Date().toISOString(), 'NX');
    if (claimed !== 'OK') return false;
    for (const window of windows) await this.put(window);
    return true;
  }
}
