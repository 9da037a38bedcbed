import type { Redis } from 'ioredis';
import { PlatformUnavailableError } from '../../adapters/platform.errors.js';
import type { CatalogItem, CatalogPage, PlatformPort, SearchItemsQuery } from '../../adapters/platform.port.js';
import { catalogGenerationKey } from '../../ledger/catalog/catalog-generation.js';

/** What a request reads a platform's catalog through. */
export type CatalogReader = Pick<PlatformPort, 'getItemsByCodes' | 'searchItems'>;

export interface CatalogCacheOptions {
  /**
   * How long an entry may be served without asking the platform again; for
   * another as long, an item is served while one call fetches it again. 0 turns the cache off.
   */
  maxAgeMs: number;
  /**
   * How long a request waits for items the cache does not hold before it fails
   * with PLATFORM.<region>_UNAVAILABLE, which leaves those items' fields null with
   * the error and the rest of the answer whole; the fetch goes on, and what it
   * brings is kept for the next request. Unset, a request waits for the platform.
   */
  missWaitMs?: number;
  /** Bounds each of the item and page maps, so floods of unknown codes or searches cannot grow memory. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry<V> {
  value: V;
  fetchedAt: number;
}

/**
 * The process's copy of one platform's catalog. Items are reference data read on
 * almost every request (the name and department of each case's item) and they
 * change rarely and deliberately; serving them from memory spares the platform
 * one call per request. Entries are valid for one catalog generation, kept in
 * Redis so that an invalidation on any instance reaches all, and for at most
 * `maxAgeMs`, which bounds staleness when a platform changes items without
 * anyone invalidating; an expired item is served for up to another `maxAgeMs`
 * while one call fetches it again, so that a slow platform holds no request up
 * (an invalidated one never is). A request checks the generation once; what it
 * fetched is kept only if no invalidation happened while it was fetching.
 *
 * The formal review at receipt does not read through this: a legal act is
 * checked against the platform's catalog as it is at that moment.
 */
export class CatalogCache {
  private generation: string | null = null;
  private readonly items = new Map<string, Entry<CatalogItem | null>>();
  private readonly pages = new Map<string, Entry<CatalogPage>>();
  private readonly pending = new Map<string, { generation: string; value: Promise<CatalogItem | null> }>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly port: PlatformPort,
    private readonly options: CatalogCacheOptions,
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  reader(): CatalogReader {
    if (this.options.maxAgeMs === 0) return this.port;
    let observed: Promise<string | null> | undefined;
    const generation = () => (observed ??= this.observeGeneration());
    return {
      getItemsByCodes: async (codes) => this.getItems(await generation(), codes),
      searchItems: async (query) => this.search(await generation(), query),
    };
  }

  /** Null when Redis cannot say: the request then reads the platform and keeps nothing. */
  private async observeGeneration(): Promise<string | null> {
    const current = await this.currentGeneration();
    if (current !== null && current !== this.generation) {
      this.items.clear();
      this.pages.clear();
      this.generation = current;
    }
    return current;
  }

  private async currentGeneration(): Promise<string | null> {
    try {
      return (await this.redis.get(catalogGenerationKey(this.port.region))) ?? '0';
    } catch {
      return null;
    }
  }

  private async getItems(generation: string | null, codes: readonly string[]): Promise<(CatalogItem | null)[]> {
    const found = codes.map((code) => this.fresh(generation, this.items.get(code)));
    const expired = new Set(codes.filter((code, i) => found[i] === undefined && this.servableWhileFetched(generation, this.items.get(code))));
    if (expired.size > 0) {
      // A platform slow to answer must not hold every request up each time an entry expires: the old
      // value is served while one call fetches it again, for at most another maxAgeMs.
      for (const answer of this.fetchShared(generation, [...expired]).values()) answer.catch(() => undefined);
      for (const [i, code] of codes.entries()) if (expired.has(code)) found[i] = this.items.get(code)!.value;
    }
    const missing = [...new Set(codes.filter((_, i) => found[i] === undefined))];
    if (missing.length === 0) return found as (CatalogItem | null)[];

    const answers = this.fetchShared(generation, missing);
    const values = await this.withinMissWait(Promise.all(missing.map((code) => answers.get(code)!)));
    const byCode = new Map(missing.map((code, i) => [code, values[i] ?? null]));
    return codes.map((code, i) => (found[i] === undefined ? (byCode.get(code) ?? null) : found[i]!));
  }

  /** A slow platform costs each request at most missWaitMs, not the platform's own time-out. */
  private async withinMissWait<T>(fetching: Promise<T>): Promise<T> {
    const waitMs = this.options.missWaitMs;
    if (waitMs === undefined) return fetching;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new PlatformUnavailableError(this.port.region, `${this.port.region} 事项目录 ${waitMs} ms 内未答复，稍后再试`)),
        waitMs,
      );
    });
    try {
      return await Promise.race([fetching, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Concurrent requests wanting the same codes (a gateway plan's parallel entity fetches) share one platform call. */
  private fetchShared(generation: string | null, codes: readonly string[]): Map<string, Promise<CatalogItem | null>> {
    const answers = new Map<string, Promise<CatalogItem | null>>();
    const toFetch: string[] = [];
    for (const code of codes) {
      const pending = this.pending.get(code);
      if (generation !== null && pending?.generation === generation) answers.set(code, pending.value);
      else toFetch.push(code);
    }
    if (toFetch.length > 0) {
      const fetched = this.fetchItems(generation, toFetch);
      for (const [i, code] of toFetch.entries()) {
        const value = fetched.then((items) => items[i] ?? null);
        answers.set(code, value);
        if (generation !== null) this.share(code, generation, value);
      }
    }
    return answers;
  }

  private share(code: string, generation: string, value: Promise<CatalogItem | null>): void {
    const entry = { generation, value };
    this.pending.set(code, entry);
    const release = () => {
      if (this.pending.get(code) === entry) this.pending.delete(code);
    };
    value.then(release, release);
  }

  private async fetchItems(generation: string | null, codes: string[]): Promise<(CatalogItem | null)[]> {
    const fetchedAt = this.now();
    const fetched = await this.port.getItemsByCodes(codes);
    if (await this.stillCurrent(generation)) {
      for (const [i, code] of codes.entries()) this.keep(this.items, code, { value: fetched[i] ?? null, fetchedAt });
    }
    return fetched;
  }

  private async search(generation: string | null, query: SearchItemsQuery): Promise<CatalogPage> {
    const key = JSON.stringify([query.search ?? null, query.offset, query.limit]);
    const cached = this.fresh(generation, this.pages.get(key));
    if (cached) return cached;
    const fetchedAt = this.now();
    const page = await this.port.searchItems(query);
    if (await this.stillCurrent(generation)) this.keep(this.pages, key, { value: page, fetchedAt });
    return page;
  }

  private fresh<V>(generation: string | null, entry: Entry<V> | undefined): V | undefined {
    if (!entry || generation === null || generation !== this.generation) return undefined;
    return this.now() - entry.fetchedAt < this.options.maxAgeMs ? entry.value : undefined;
  }

  /** Expired within this generation (an invalidation is never served past), by less than another maxAgeMs. */
  private servableWhileFetched<V>(generation: string | null, entry: Entry<V> | undefined): boolean {
    if (!entry || generation === null || generation !== this.generation) return false;
    return this.now() - entry.fetchedAt < 2 * this.options.maxAgeMs;
  }

  private async stillCurrent(generation: string | null): Promise<boolean> {
    return generation !== null && generation === this.generation && (await this.currentGeneration()) === generation;
  }

  private keep<V>(map: Map<string, Entry<V>>, key: string, entry: Entry<V>): void {
    if (map.size >= this.maxEntries && !map.has(key)) map.delete(map.keys().next().value!);
    map.set(key, entry);
  }
}
