import type { WindowRecord } from '../../ledger/windows/window.model.js';
import type { WindowFilter, WindowStore } from '../../ledger/windows/window.store.js';

/** What a request reads the directory through; the cases subgraph's WindowDirectory port has the same shape. */
export interface WindowReader {
  getMany(ids: readonly string[]): Promise<(WindowRecord | null)[]>;
  list(filter: WindowFilter): Promise<WindowRecord[]>;
}

/**
 * The process's copy of window records, valid for one directory generation.
 * Every write bumps the generation in Redis in the same script as the record, so
 * one GET at the start of a request tells whether the copy still holds — on this
 * instance and on any other sharing the Redis. A request is served only records
 * of the generation it observed, i.e. never older than any write that finished
 * before it began: records enter the copy only from a read that returned the
 * copy's own generation atomically with them (one MGET), and the copy is emptied
 * whenever the generation moves.
 */
export class WindowCache {
  private generation: string | null = null;
  private readonly windows = new Map<string, WindowRecord>();

  constructor(
    private readonly store: WindowStore,
    /** The directory is a few hundred windows; the bound only stops unknown-id floods from growing memory. */
    private readonly maxEntries = 10_000,
  ) {}

  /** A reader for one request: it checks the generation once, on first use. */
  reader(): WindowReader {
    let observed: Promise<string> | undefined;
    const generation = () =>
      (observed ??= this.store.generation().then((current) => {
        if (current !== this.generation) {
          this.windows.clear();
          this.generation = current;
        }
        return current;
      }));
    return {
      getMany: async (ids) => this.getMany(await generation(), ids),
      list: async (filter) => {
        const [current, ids] = await Promise.all([generation(), this.store.ids(filter)]);
        return (await this.getMany(current, ids)).filter((window): window is WindowRecord => window !== null);
      },
    };
  }

  private async getMany(generation: string, ids: readonly string[]): Promise<(WindowRecord | null)[]> {
    const usable = generation === this.generation;
    const found = ids.map((id) => (usable ? this.windows.get(id) : undefined));
    const missing = ids.filter((_, i) => found[i] === undefined);
    if (missing.length === 0) return found as WindowRecord[];

    const snapshot = await this.store.snapshot(missing);
    const byId = new Map<string, WindowRecord | null>(missing.map((id, i) => [id, snapshot.windows[i] ?? null]));
    if (snapshot.generation === this.generation) {
      for (const window of snapshot.windows) {
        if (window && this.windows.size < this.maxEntries) this.windows.set(window.id, window);
      }
    }
    return ids.map((id, i) => found[i] ?? byId.get(id) ?? null);
  }
}
