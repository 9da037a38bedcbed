import { instantToEpochMs, type Instant, type WorkingCalendar } from '../../domain/calendar/index.js';
import { DomainError } from '../../domain/errors.js';
import { isOpen } from '../../domain/hours/index.js';
import { validateDivisionCode } from '../../domain/identifiers/index.js';
import { regionOfItemCode, type Region } from '../../domain/region.js';
import type { WindowReader } from './window.cache.js';
import { diffWindows } from './window.diff.js';
import { validateWindowDraft } from './window-input.validator.js';
import type { WindowChange, WindowDraft, WindowRecord } from '../../ledger/windows/window.model.js';
import type { WindowStore } from '../../ledger/windows/window.store.js';

export interface WindowQuery {
  region?: Region | null;
  divisionCode?: string | null;
  itemCode?: string | null;
  openAt?: Instant | null;
}

/** Who the sample directory's entries are recorded as written by. */
export const SAMPLE_DIRECTORY_ACTOR = 'system:sample-directory';

/**
 * Each attempt loses only to a writer that succeeded, so this many writers can
 * race on one window before anyone is told to try again.
 */
const MAX_ATTEMPTS = 8;

/**
 * The 通办 window directory (seed 000 一(三)3, seed 002 第五条(四)): each region keeps
 * its windows' contact list current, and every change is kept with who made it.
 */
export class WindowDirectory {
  constructor(private readonly deps: { store: WindowStore; calendar: WorkingCalendar; now: () => Date }) {}

  /**
   * Creates or replaces a window. With `expectedVersion`, only over that version
   * (an editor's form does not silently overwrite a change made since it was
   * opened). A change identical to the stored window writes nothing.
   */
  async upsert(draft: WindowDraft, actor: string, expectedVersion?: number | null): Promise<WindowRecord> {
    const next = validateWindowDraft(draft);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const [previous = null] = await this.deps.store.getMany([next.id]);
      const version = previous?.version ?? 0;
      if (expectedVersion != null && expectedVersion !== version) {
        throw new DomainError(
          'WINDOW.VERSION_CONFLICT',
          `窗口 ${next.id} 已被他人修改（当前版本 ${version}，提交所依据的版本 ${expectedVersion}），请刷新后重新提交`,
        );
      }
      const changes = diffWindows(previous, next);
      if (previous && changes.length === 0) return previous;
      const at = this.deps.now().toISOString();
      const record: WindowRecord = { ...next, version: version + 1, updatedAt: at };
      const change: WindowChange = { version: record.version, at, actor, changes };
      if (await this.deps.store.write(previous, record, change)) return record;
    }
    throw new DomainError('WINDOW.CONCURRENT_UPDATE', `窗口 ${next.id} 正被频繁修改，请稍后重试`);
  }

  /**
   * Region and division narrow the candidates through the indexes; the item and
   * the instant are checked on the records. The arguments are checked first, so a
   * malformed one is an error even where no window would have matched.
   */
  async find(reader: WindowReader, query: WindowQuery): Promise<WindowRecord[]> {
    const divisionCode = query.divisionCode == null ? undefined : validateDivisionCode(query.divisionCode);
    const itemCode = query.itemCode ?? undefined;
    if (itemCode !== undefined) regionOfItemCode(itemCode);
    const openAt = query.openAt ?? undefined;
    if (openAt !== undefined) instantToEpochMs(openAt);
    const windows = await reader.list({ region: query.region ?? undefined, divisionCode });
    return windows.filter(
      (window) =>
        (itemCode === undefined || window.itemCodes.length === 0 || window.itemCodes.includes(itemCode)) &&
        (openAt === undefined || this.isOpen(window, openAt)),
    );
  }

  /** Open for business: in use, and within its hall's hours on the official calendar. */
  isOpen(window: WindowRecord, instant: Instant): boolean {
    return window.active && isOpen(window.hours, instant, this.deps.calendar);
  }

  histories(ids: readonly string[]): Promise<WindowChange[][]> {
    return this.deps.store.histories(ids);
  }

  /**
   * Loads the sample directory once into a store that was never seeded. Through
   * `upsert`, so the samples are validated and have a history, and two instances
   * starting together write each window once.
   */
  async seed(windows: readonly WindowDraft[]): Promise<boolean> {
    if (await this.deps.store.isSeeded()) return false;
    for (const window of windows) await this.upsert(window, SAMPLE_DIRECTORY_ACTOR);
    await this.deps.store.markSeeded(this.deps.now().toISOString());
    return true;
  }

  /**
   * Adds the windows the store does not have, and leaves alone those it has,
   * edited or not: for the development demo window, which a store seeded before
   * it existed must gain too.
   */
  async addMissing(windows: readonly WindowDraft[]): Promise<void> {
    const present = await this.deps.store.getMany(windows.map((window) => window.id));
    for (const [i, window] of windows.entries()) {
      if (!present[i]) await this.upsert(window, SAMPLE_DIRECTORY_ACTOR);
    }
  }
}
