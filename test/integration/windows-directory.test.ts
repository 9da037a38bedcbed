import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, issueToken } from '../../lib/auth/access-token.js';
import type { Caller } from '../../lib/auth/caller.js';
import { loadConfig } from '../../lib/config.js';
import { asGateway } from '../support/subgraph-request.js';
import type { RunningServer } from '../../lib/http-server.js';
import { createRedis, deleteKeysWithPrefix, scanKeys } from '../../lib/redis.js';
import { getDefaultCalendar } from '../../domain/calendar/index.js';
import { DEMO_WINDOWS, SAMPLE_WINDOWS } from '../../subgraphs/windows/sample-directory.data.js';
import { WindowDirectory } from '../../subgraphs/windows/window-directory.service.js';
import { WindowStore } from '../../ledger/windows/window.store.js';
import { startWindowsSubgraph } from '../../subgraphs/windows/server.js';
import type { WindowInput } from '../../subgraphs/windows/window-input.validator.js';
import { testLogger, testPrefix, testRedisUrl, type GraphQLResult } from '../support/stack.js';

const OPS: Caller = { subject: 'ops-01', role: 'OPS', region: 'CHONGQING', windowId: null };
const SUPERVISOR: Caller = { subject: 'sup-01', role: 'SUPERVISOR', region: 'SICHUAN', windowId: null };
const STAFF: Caller = { subject: 'staff-01', role: 'WINDOW_STAFF', region: 'CHONGQING', windowId: 'W-500000-01' };

const HOLIDAY = '2025-10-01T10:00:00+08:00'; // 国庆节, a Wednesday
const MAKEUP_SUNDAY = '2025-09-28T10:00:00+08:00'; // 调休上班
const MAKEUP_SUNDAY_LUNCH = '2025-09-28T12:30:00+08:00';
const MONDAY_LUNCH = '2025-09-29T12:30:00+08:00';
const MONDAY_EARLY_AFTERNOON = '2025-09-29T13:30:00+08:00'; // 阿坝's halls reopen at 14:00
const ORDINARY_SATURDAY = '2025-11-15T10:00:00+08:00';

const WINDOW_FIELDS = /* GraphQL */ `
  id name region divisionCode hall address
  contact { person phone email mailingAddress postcode }
  hours { day ranges } makeupDayHours holidayHours
  roles scopes departments itemCodes active sampleData version updatedAt
`;
const UPSERT = /* GraphQL */ `
  mutation Upsert($input: WindowInput!) { upsertWindow(input: $input) { ${WINDOW_FIELDS} } }
`;
const HISTORY = /* GraphQL */ `
  query History($id: ID!) { window(id: $id) { version history { version at actor changes { field oldValue newValue } } } }
`;

const WEEKDAY_HOURS: WindowInput['hours'] = (['MON', 'TUE', 'WED', 'THU', 'FRI'] as const).map((day) => ({
  day,
  ranges: ['09:00-12:00', '13:00-17:00'],
}));

function input(id: string, overrides: Partial<WindowInput> = {}): WindowInput {
  return {
    id,
    name: `测试窗口 ${id}`,
    region: 'CHONGQING',
    divisionCode: '500103',
    hall: '渝中区政务服务中心',
    address: '重庆市渝中区人民路1号（示例）',
    contact: { person: '测试员（示例）', phone: '023-63000099', email: 'test@example.gov.cn', mailingAddress: '重庆市渝中区人民路1号', postcode: '400015' },
    hours: WEEKDAY_HOURS,
    roles: ['RECEIVING', 'JURISDICTION'],
    scopes: ['SICHUAN_CHONGQING', 'CROSS_DISTRICT'],
    departments: [],
    itemCodes: [],
    active: true,
    sampleData: true,
    ...overrides,
  };
}

interface WindowView {
  id: string;
  name: string;
  region: string;
  divisionCode: string;
  contact: { phone: string };
  version: number;
  updatedAt: string | null;
  [field: string]: unknown;
}
interface HistoryView {
  window: { version: number; history: { version: number; at: string; actor: string; changes: { field: string; oldValue: string | null; newValue: string | null }[] }[] };
}

describe('the window directory (windows subgraph, two instances over one Redis)', () => {
  const redisUrl = testRedisUrl();
  const prefix = testPrefix();
  const config = loadConfig({ REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'silent', NODE_ENV: 'test' });
  const tokens = createTokenVerifier(config.auth);
  const redisA = createRedis(redisUrl, prefix);
  const redisB = createRedis(redisUrl, prefix);
  /** Unprefixed, to look at the keys as they are. */
  const raw = createRedis(redisUrl, '');
  let a: RunningServer;
  let b: RunningServer;

  async function gql<T = Record<string, unknown>>(server: RunningServer, query: string, variables?: Record<string, unknown>, caller: Caller = OPS) {
    const body = JSON.stringify({ query, variables });
    const url = `${server.url}/graphql`;
    const response = await fetch(url, { method: 'POST', headers: asGateway(config.gatewayKeys[0]!, url, body, `Bearer ${await issueToken(config.auth, caller)}`), body });
    return (await response.json()) as GraphQLResult<T>;
  }

  async function upsert(server: RunningServer, window: WindowInput, caller: Caller = OPS) {
    return gql<{ upsertWindow: WindowView }>(server, UPSERT, { input: window }, caller);
  }

  async function history(server: RunningServer, id: string) {
    const result = await gql<HistoryView>(server, HISTORY, { id });
    expect(result.errors).toBeUndefined();
    return result.data!.window;
  }

  async function ids(server: RunningServer, args: string) {
    const result = await gql<{ windows: { id: string }[] }>(server, `{ windows${args} { id } }`);
    expect(result.errors).toBeUndefined();
    return result.data!.windows.map((window) => window.id);
  }

  /** Every key under the prefix with its whole value, to prove a refused write touched nothing. */
  async function redisState(): Promise<Record<string, unknown>> {
    const state: Record<string, unknown> = {};
    for (const key of await scanKeys(raw, `${prefix}*`)) {
      const type = await raw.type(key);
      if (type === 'string') state[key] = await raw.get(key);
      else if (type === 'set') state[key] = (await raw.smembers(key)).sort();
      else if (type === 'list') state[key] = await raw.lrange(key, 0, -1);
      else state[key] = type;
    }
    return state;
  }

  beforeAll(async () => {
    const runtime = { host: '127.0.0.1', port: 0, logger: testLogger, tokens, gatewayKeys: config.gatewayKeys };
    // Started together, both seed: the samples must still be written once each.
    [a, b] = await Promise.all([startWindowsSubgraph({ ...runtime, redis: redisA }), startWindowsSubgraph({ ...runtime, redis: redisB })]);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    redisA.disconnect();
    redisB.disconnect();
    raw.disconnect();
    await deleteKeysWithPrefix(redisUrl, prefix);
  });

  describe('seeding', () => {
    it('loads the sample directory once, each window with its creation in the history', async () => {
      expect(await ids(a, '')).toEqual(SAMPLE_WINDOWS.map((window) => window.id).sort());
      const seeded = await history(b, 'W-513200-01');
      expect(seeded.version).toBe(1);
      expect(seeded.history).toHaveLength(1);
      expect(seeded.history[0]).toMatchObject({ version: 1, actor: 'system:sample-directory' });
      expect(await ids(b, '(region: CHONGQING)')).toHaveLength(SAMPLE_WINDOWS.filter((w) => w.region === 'CHONGQING').length);
      expect(await ids(b, '(region: SICHUAN, divisionCode: "513201")')).toEqual(['W-513201-01']);
    });
  });

  describe('upsertWindow', () => {
    it('creates a window, then changes it, keeping who changed which field from what to what', async () => {
      const created = await upsert(a, input('W-500103-11'));
      expect(created.errors).toBeUndefined();
      expect(created.data!.upsertWindow).toMatchObject({
        id: 'W-500103-11',
        version: 1,
        hours: expect.arrayContaining([{ day: 'SAT', ranges: [] }, { day: 'MON', ranges: ['09:00-12:00', '13:00-17:00'] }]),
        makeupDayHours: ['09:00-12:00', '13:00-17:00'],
        holidayHours: [],
      });

      const updated = await upsert(
        b,
        input('W-500103-11', { contact: { ...input('').contact, phone: '(023) 63000100' }, hours: [...WEEKDAY_HOURS, { day: 'SAT', ranges: ['09:00-12:00'] }] }),
        SUPERVISOR,
      );
      expect(updated.errors).toBeUndefined();
      expect(updated.data!.upsertWindow).toMatchObject({ version: 2, contact: { phone: '023-63000100' } });

      const { history: entries } = await history(a, 'W-500103-11');
      expect(entries.map((entry) => [entry.version, entry.actor])).toEqual([
        [1, 'OPS:ops-01'],
        [2, 'SUPERVISOR:sup-01'],
      ]);
      expect(entries[0]!.changes.find((change) => change.field === 'name')).toEqual({ field: 'name', oldValue: null, newValue: '"测试窗口 W-500103-11"' });
      expect(entries[1]!.changes).toEqual([
        { field: 'contact.phone', oldValue: '"023-63000099"', newValue: '"023-63000100"' },
        { field: 'hours.sat', oldValue: '[]', newValue: '[["09:00","12:00"]]' },
      ]);
      expect(entries[1]!.at).toBe(updated.data!.upsertWindow.updatedAt);
    });

    it('appends nothing and writes nothing when the window is upserted unchanged', async () => {
      await upsert(a, input('W-500103-12'));
      const before = await redisState();
      const again = await upsert(b, input('W-500103-12', { roles: ['JURISDICTION', 'RECEIVING'], contact: { ...input('').contact, email: 'test@EXAMPLE.gov.cn' } }));
      expect(again.errors).toBeUndefined();
      expect(again.data!.upsertWindow.version).toBe(1);
      expect(await redisState()).toEqual(before);
      expect((await history(a, 'W-500103-12')).history).toHaveLength(1);
    });

    it('refuses a change based on a version that is no longer current, and a creation of an existing id', async () => {
      await upsert(a, input('W-500103-13'));
      await upsert(a, input('W-500103-13', { name: '第二版' }));
      const before = await redisState();
      const stale = await upsert(b, input('W-500103-13', { name: '基于第一版的修改', expectedVersion: 1 }));
      expect(stale.errors?.[0]?.extensions?.code).toBe('WINDOW.VERSION_CONFLICT');
      const recreate = await upsert(b, input('W-500103-13', { expectedVersion: 0 }));
      expect(recreate.errors?.[0]?.extensions?.code).toBe('WINDOW.VERSION_CONFLICT');
      expect(await redisState()).toEqual(before);
      const current = await upsert(b, input('W-500103-13', { name: '第三版', expectedVersion: 2 }));
      expect(current.data!.upsertWindow).toMatchObject({ name: '第三版', version: 3 });
    });

    it('refuses invalid input with its code and changes nothing in Redis', async () => {
      await upsert(a, input('W-500103-14'));
      const before = await redisState();
      const contact = input('').contact;
      const cases: [WindowInput, string][] = [
        [input('W-500103-14', { divisionCode: '5001' }), 'INPUT.INVALID_DIVISION_CODE'],
        [input('W-500103-14', { divisionCode: '990000' }), 'INPUT.INVALID_DIVISION_CODE'],
        [input('W-500103-14', { divisionCode: '510104' }), 'INPUT.REGION_MISMATCH'],
        [input('W-500103-14', { contact: { ...contact, phone: '12345' } }), 'INPUT.INVALID_PHONE'],
        [input('W-500103-14', { contact: { ...contact, email: 'not-an-email' } }), 'INPUT.INVALID_EMAIL'],
        [input('W-500103-14', { contact: { ...contact, postcode: '4000' } }), 'INPUT.INVALID_POSTCODE'],
        [input('W-500103-14', { hours: [{ day: 'MON', ranges: ['09:00-12:00', '11:00-13:00'] }] }), 'INPUT.INVALID_HOURS'],
        [input('W-500103-14', { roles: [] }), 'INPUT.ROLES_REQUIRED'],
        [input('W-500103-14', { name: '' }), 'INPUT.REQUIRED'],
        [input('W-500103-14', { hall: '厅'.repeat(65) }), 'INPUT.TOO_LONG'],
        [input('W-500103-14', { itemCodes: ['abc'] }), 'INPUT.INVALID_ITEM_CODE'],
        [input('W 500103 15'), 'INPUT.INVALID_WINDOW_ID'],
      ];
      for (const [window, code] of cases) {
        const result = await upsert(a, window);
        expect(result.errors?.map((error) => error.extensions?.code), `${code} for ${JSON.stringify(window).slice(0, 80)}`).toEqual([code]);
        expect(result.data).toBeNull();
      }
      expect(await redisState()).toEqual(before);
    });

    it('lets only ops and supervisors change the directory', async () => {
      const before = await redisState();
      const refused = await upsert(a, input('W-500103-16'), STAFF);
      expect(refused.errors?.[0]?.extensions?.code).toBe('AUTH.FORBIDDEN');
      expect(await redisState()).toEqual(before);
    });

    it('loses no update when two instances change one window at the same moment', async () => {
      await upsert(a, input('W-500103-17'));
      const [first, second] = await Promise.all([
        upsert(a, input('W-500103-17', { name: '并发修改甲' })),
        upsert(b, input('W-500103-17', { contact: { ...input('').contact, phone: '023-63000200' } }), SUPERVISOR),
      ]);
      expect(first.errors).toBeUndefined();
      expect(second.errors).toBeUndefined();
      const { version, history: entries } = await history(a, 'W-500103-17');
      expect(version).toBe(3);
      expect(entries.map((entry) => entry.version)).toEqual([1, 2, 3]);
      expect(new Set(entries.slice(1).map((entry) => entry.actor))).toEqual(new Set(['OPS:ops-01', 'SUPERVISOR:sup-01']));

      // The final state is the later of the two, and its history says what it overwrote.
      const final = (await gql<{ window: WindowView }>(b, `{ window(id: "W-500103-17") { ${WINDOW_FIELDS} } }`)).data!.window;
      const later = [first.data!.upsertWindow, second.data!.upsertWindow].find((window) => window.version === 3)!;
      const earlier = [first.data!.upsertWindow, second.data!.upsertWindow].find((window) => window.version === 2)!;
      expect(final).toEqual(later);
      // Each write replaces the whole window, so the later one's entry reverts what only the earlier one changed.
      const valueOf = (window: WindowView, field: string) =>
        JSON.stringify(field.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], window));
      expect(entries[2]!.changes.map((change) => change.field).sort()).toEqual(['contact.phone', 'name']);
      for (const change of entries[2]!.changes) {
        expect(change.oldValue).toBe(valueOf(earlier, change.field));
        expect(change.newValue).toBe(valueOf(later, change.field));
      }
    });

    it('serialises a burst of writers over both instances, one version each', async () => {
      await upsert(a, input('W-500103-18'));
      const names = Array.from({ length: 6 }, (_, i) => `并发窗口 ${i}`);
      const results = await Promise.all(names.map((name, i) => upsert(i % 2 ? b : a, input('W-500103-18', { name }))));
      expect(results.map((result) => result.errors)).toEqual(names.map(() => undefined));
      expect(results.map((result) => result.data!.upsertWindow.version).sort()).toEqual([2, 3, 4, 5, 6, 7]);
      const { history: entries } = await history(b, 'W-500103-18');
      // Each entry starts from what the one before it wrote: a chain, nothing lost in between.
      for (let i = 2; i < entries.length; i++) {
        expect(entries[i]!.changes[0]!.oldValue).toBe(entries[i - 1]!.changes[0]!.newValue);
      }
    });

    it('moves the index entries when the division or the region changes', async () => {
      const id = 'W-500103-19';
      await upsert(a, input(id));
      const members = async (key: string) => (await raw.smembers(`${prefix}${key}`)).includes(id);

      await upsert(a, input(id, { divisionCode: '500105' }));
      expect(await members('windows:{windows}:division:500103')).toBe(false);
      expect(await members('windows:{windows}:division:500105')).toBe(true);
      expect(await ids(b, '(divisionCode: "500103")')).not.toContain(id);
      expect(await ids(b, '(region: CHONGQING, divisionCode: "500105")')).toContain(id);

      await upsert(b, input(id, { region: 'SICHUAN', divisionCode: '510104', scopes: ['IN_PROVINCE'] }));
      expect(await members('windows:{windows}:region:CHONGQING')).toBe(false);
      expect(await members('windows:{windows}:region:SICHUAN')).toBe(true);
      expect(await members('windows:{windows}:division:500105')).toBe(false);
      expect(await members('windows:{windows}:division:510104')).toBe(true);
      expect(await ids(a, '(region: CHONGQING)')).not.toContain(id);
      expect(await ids(a, '(region: SICHUAN, divisionCode: "510104")')).toEqual([id, 'W-510104-01']);
    });
  });

  describe('windows(openAt:) and Window.openAt, on the official calendar', () => {
    const chongqing = SAMPLE_WINDOWS.filter((window) => window.region === 'CHONGQING').map((window) => window.id).sort();
    const sichuan = SAMPLE_WINDOWS.filter((window) => window.region === 'SICHUAN').map((window) => window.id).sort();

    it('finds every hall closed on a statutory holiday, whatever its weekday hours', async () => {
      expect(await ids(a, `(openAt: "${HOLIDAY}")`)).toEqual([]);
    });

    it('opens on a make-up Sunday with weekday hours, lunch break included', async () => {
      expect(await ids(a, `(region: CHONGQING, openAt: "${MAKEUP_SUNDAY}")`)).toEqual(expect.arrayContaining(chongqing));
      expect(await ids(a, `(region: SICHUAN, openAt: "${MAKEUP_SUNDAY}")`)).toEqual(expect.arrayContaining(sichuan));
      // 渝北 and 锦江 also open on weekend mornings, yet at 12:30 on a make-up day they keep the weekday lunch break.
      expect(await ids(a, `(openAt: "${MAKEUP_SUNDAY_LUNCH}")`)).toEqual([]);
    });

    it("is closed at lunch on a working day, and follows each hall's own hours", async () => {
      expect(await ids(a, `(openAt: "${MONDAY_LUNCH}")`)).toEqual([]);
      const earlyAfternoon = await ids(b, `(region: SICHUAN, openAt: "${MONDAY_EARLY_AFTERNOON}")`);
      expect(earlyAfternoon).toContain('W-510000-01');
      expect(earlyAfternoon.filter((id) => id.startsWith('W-5132'))).toEqual([]);
    });

    it('opens only the weekend halls on an ordinary Saturday', async () => {
      expect((await ids(a, `(openAt: "${ORDINARY_SATURDAY}")`)).filter((id) => SAMPLE_WINDOWS.some((w) => w.id === id))).toEqual([
        'W-500112-01',
        'W-510104-01',
      ]);
    });

    it('answers per window, and a window out of use is never open', async () => {
      const query = `query ($id: ID!) { window(id: $id) { holiday: openAt(instant: "${HOLIDAY}") makeup: openAt(instant: "${MAKEUP_SUNDAY}") lunch: openAt(instant: "${MONDAY_LUNCH}") } }`;
      expect((await gql(a, query, { id: 'W-500000-01' })).data).toEqual({ window: { holiday: false, makeup: true, lunch: false } });
      await upsert(a, input('W-500103-20', { active: false }));
      expect((await gql(a, query, { id: 'W-500103-20' })).data).toEqual({ window: { holiday: false, makeup: false, lunch: false } });
    });

    it('refuses a malformed instant and a year without a published calendar', async () => {
      const malformed = await gql(a, '{ windows(openAt: "2025-09-29 10:00") { id } }');
      expect(malformed.errors?.[0]?.extensions?.code).toBe('INPUT.INVALID_INSTANT');
      const unpublished = await gql(a, '{ windows(openAt: "2099-03-02T10:00:00+08:00") { id } }');
      expect(unpublished.errors?.[0]?.extensions?.code).toBe('CALENDAR.YEAR_NOT_PUBLISHED');
    });
  });

  describe('windows(itemCode:)', () => {
    it('keeps windows that list the item or list none, and refuses a malformed code', async () => {
      await upsert(a, input('W-500106-11', { divisionCode: '500106', itemCodes: ['510000-00001', '500000-00001'] }));
      expect(await ids(a, '(divisionCode: "500106", itemCode: "510000-00001")')).toEqual(['W-500106-01', 'W-500106-11']);
      expect(await ids(a, '(divisionCode: "500106", itemCode: "510000-00002")')).toEqual(['W-500106-01']);
      const bad = await gql(a, '{ windows(itemCode: "abc") { id } }');
      expect(bad.errors?.[0]?.extensions?.code).toBe('INPUT.INVALID_ITEM_CODE');
    });
  });

  describe('_entities', () => {
    it('resolves Window references in one batch, null for an unknown id', async () => {
      const result = await gql(
        b,
        `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Window { id name divisionCode makeupDayHours open: openAt(instant: "${MAKEUP_SUNDAY}") history { version } } } }`,
        { r: [{ __typename: 'Window', id: 'W-513221-01' }, { __typename: 'Window', id: 'W-NONE' }, { __typename: 'Window', id: 'W-500000-01' }] },
      );
      expect(result).toEqual({
        data: {
          _entities: [
            { id: 'W-513221-01', name: '汶川县政务服务中心省内通办窗口', divisionCode: '513221', makeupDayHours: ['09:00-12:00', '14:00-17:30'], open: true, history: [{ version: 1 }] },
            null,
            { id: 'W-500000-01', name: '重庆市政务服务中心川渝通办窗口', divisionCode: '500000', makeupDayHours: ['09:00-12:00', '13:00-17:00'], open: true, history: [{ version: 1 }] },
          ],
        },
      });
    });
  });

  describe('the in-process cache', () => {
    it('serves a warm instance from memory, yet shows a change made through either instance at once', async () => {
      const id = 'W-500107-01';
      const name = async (server: RunningServer) =>
        (await gql<{ window: { name: string } }>(server, `{ window(id: "${id}") { name } }`)).data!.window.name;
      const sampleName = SAMPLE_WINDOWS.find((window) => window.id === id)!.name;
      expect(await name(b)).toBe(sampleName);

      // Behind the directory's back (no generation bump): the warm instance keeps its copy, proving it caches …
      const key = `${prefix}window:${id}`;
      const stored = JSON.parse((await raw.get(key))!) as Record<string, unknown>;
      await raw.set(key, JSON.stringify({ ...stored, name: '绕过目录写入的名称' }));
      expect(await name(b)).toBe(sampleName);
      await raw.set(key, JSON.stringify(stored));

      // … and a change through upsertWindow on the other instance is visible on the next read of both.
      const sample = SAMPLE_WINDOWS.find((window) => window.id === id)!;
      const changed = await upsert(a, {
        ...sample,
        name: '九龙坡区政务服务中心川渝通办窗口',
        hours: Object.entries(sample.hours).map(([day, ranges]) => ({ day: day.toUpperCase() as 'MON', ranges: ranges.map(([s, e]) => `${s}-${e}`) })),
      });
      expect(changed.errors).toBeUndefined();
      expect(await name(b)).toBe('九龙坡区政务服务中心川渝通办窗口');
      expect(await name(a)).toBe('九龙坡区政务服务中心川渝通办窗口');
      const listed = await gql<{ windows: { name: string }[] }>(b, '{ windows(divisionCode: "500107") { name } }');
      expect(listed.data!.windows.map((window) => window.name)).toEqual(['九龙坡区政务服务中心川渝通办窗口']);
      const entity = await gql<{ _entities: { name: string }[] }>(b, 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Window { name } } }', {
        r: [{ __typename: 'Window', id }],
      });
      expect(entity.data!._entities[0]!.name).toBe('九龙坡区政务服务中心川渝通办窗口');
    });
  });
});

describe('the development demo window', () => {
  const redisUrl = testRedisUrl();
  const prefix = testPrefix();
  const redis = createRedis(redisUrl, prefix);

  afterAll(async () => {
    redis.disconnect();
    await deleteKeysWithPrefix(redisUrl, prefix);
  });

  it('joins a directory seeded before it existed, is open at night and on Sundays, and an edit of it stays', async () => {
    const store = new WindowStore(redis);
    const directory = new WindowDirectory({ store, calendar: getDefaultCalendar(), now: () => new Date('2025-11-23T03:00:00+08:00') });
    await directory.seed(SAMPLE_WINDOWS);
    await directory.addMissing(DEMO_WINDOWS);
    const [demo] = await store.getMany(['W-500000-24']);
    expect(demo).toMatchObject({ version: 1, roles: ['RECEIVING'], sampleData: true });
    expect(directory.isOpen(demo!, '2025-11-23T03:00:00+08:00')).toBe(true); // a Sunday, 03:00
    expect(directory.isOpen(demo!, '2025-11-24T23:59:00+08:00')).toBe(true);
    expect(directory.isOpen(demo!, '2025-10-01T03:00:00+08:00')).toBe(true); // 国庆节

    await directory.upsert({ ...DEMO_WINDOWS[0]!, active: false }, 'OPS:ops-01');
    await directory.addMissing(DEMO_WINDOWS);
    expect((await store.getMany(['W-500000-24']))[0]).toMatchObject({ version: 2, active: false });
  });
});
