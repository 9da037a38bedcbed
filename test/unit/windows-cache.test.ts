import { describe, expect, it } from 'vitest';
import { SAMPLE_WINDOWS } from '../../subgraphs/windows/sample-directory.data.js';
import { WindowCache } from '../../subgraphs/windows/window.cache.js';
import type { WindowRecord } from '../../ledger/windows/window.model.js';
import type { WindowStore } from '../../ledger/windows/window.store.js';

/** The three store reads the cache makes, over a map, counting round trips. */
class FakeStore {
  generationValue = 0;
  windows = new Map<string, WindowRecord>(
    SAMPLE_WINDOWS.slice(0, 3).map((window) => [window.id, { ...window, version: 1, updatedAt: '2025-09-01T00:00:00.000Z' }]),
  );
  calls = { generation: 0, snapshot: 0 };
  /** Runs between the snapshot's read and its answer: a write landing while the read is in flight. */
  duringSnapshot: (() => Promise<void>) | null = null;

  async generation() {
    this.calls.generation++;
    return String(this.generationValue);
  }

  async snapshot(ids: readonly string[]) {
    this.calls.snapshot++;
    const answer = { generation: String(this.generationValue), windows: ids.map((id) => this.windows.get(id) ?? null) };
    const during = this.duringSnapshot;
    this.duringSnapshot = null;
    await during?.();
    return answer;
  }

  async ids() {
    return [...this.windows.keys()].sort();
  }

  write(id: string, name: string) {
    this.windows.set(id, { ...this.windows.get(id)!, name });
    this.generationValue++;
  }
}

function setup() {
  const store = new FakeStore();
  return { store, cache: new WindowCache(store as unknown as WindowStore) };
}

const ID = SAMPLE_WINDOWS[0]!.id;

describe('window cache', () => {
  it('serves a later request from memory while the generation holds, with one generation read per request', async () => {
    const { store, cache } = setup();
    const first = cache.reader();
    await first.getMany([ID]);
    await first.list({});
    expect(store.calls).toEqual({ generation: 1, snapshot: 2 });

    const second = cache.reader();
    expect((await second.getMany([ID, 'W-NONE']))[0]!.id).toBe(ID);
    expect((await second.list({})).map((window) => window.id)).toEqual([...store.windows.keys()].sort());
    expect(store.calls.generation).toBe(2);
    // Only the unknown id went to the store: unknown ids are not cached.
    expect(store.calls.snapshot).toBe(3);
  });

  it('drops everything when the generation moves, so the next request reads the write', async () => {
    const { store, cache } = setup();
    await cache.reader().getMany([ID]);
    store.write(ID, '改名后的窗口');
    expect((await cache.reader().getMany([ID]))[0]!.name).toBe('改名后的窗口');
  });

  it('never keeps what a read returned for another generation than its own', async () => {
    const { store, cache } = setup();
    const reader = cache.reader();
    await reader.getMany([]); // observes generation 0
    store.write(ID, '并发写入');
    // The read returns the new record with generation 1: fresh, but not for the copy of generation 0.
    expect((await reader.getMany([ID]))[0]!.name).toBe('并发写入');
    const before = store.calls.snapshot;
    await cache.reader().getMany([ID]);
    expect(store.calls.snapshot).toBe(before + 1);
  });

  it('keeps nothing a slow read brought back after a newer request reset the copy', async () => {
    const { store, cache } = setup();
    const slow = cache.reader();
    await slow.getMany([]); // observes generation 0
    store.duringSnapshot = async () => {
      store.write(ID, '新名称');
      await cache.reader().getMany([]); // a newer request adopts generation 1
    };
    const stale = (await slow.getMany([ID]))[0]!;
    // The slow request answers from the snapshot it took (generation 0) …
    expect(stale.name).toBe(SAMPLE_WINDOWS[0]!.name);
    // … but a later request never sees it.
    expect((await cache.reader().getMany([ID]))[0]!.name).toBe('新名称');
  });
});
