import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { formatWireTime, requestCanonical, sm3Sign } from '../../adapters/sichuan/sichuan.signature.js';
import { YUKUAIBAN_CATALOG } from '../../adapters/yukuaiban/yukuaiban.catalog.js';
import { newYukuaibanNonce, signedYukuaibanHeaders } from '../../adapters/yukuaiban/yukuaiban.signature.js';
import { validateDivisionCode, validatePhone, validatePostcode, validateResidentId, validateUscc } from '../../domain/identifiers/index.js';
import { QUEUE_NAMES } from '../../queues/queue-admin.js';
import { bullPrefix } from '../../queues/queues.js';
import type { Caller } from '../../lib/auth/caller.js';
import { YUKUAIBAN_WEBHOOK_PATH } from '../../subgraphs/chongqing/server.js';
import { SICHUAN_WEBHOOK_PATH } from '../../subgraphs/sichuan/server.js';
import { staffAt, startTestStack, type TestStack } from '../support/stack.js';
import { application, DISPATCH, gql, OFFICE_HOURS, RECEIVE, ROUTES, until } from '../support/process.kit.js';
import { scanMaterials } from '../support/scans.kit.js';

/**
 * Generated bad input against the real gateway and the platform subgraphs'
 * webhooks: no request may cost a 5xx, every refusal carries a code clients can
 * branch on, and nothing of a refused request may reach Redis.
 */
const RUNS = {
  malformedDocuments: 200,
  wrongVariableTypes: 150,
  invalidIdentifiers: 200,
  badMaterialsAndNames: 150,
  badWindows: 100,
  badArguments: 100,
  webhooks: 150,
  abusiveDocuments: 150,
  oddUrls: 150,
};

/** Namespaced domain codes (CASE.NOT_FOUND) and Apollo's own request codes (GRAPHQL_PARSE_FAILED, BAD_USER_INPUT). */
const STABLE_CODE = /^[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)*$/;
const UNSTABLE_CODES = new Set(['INTERNAL', 'INTERNAL_SERVER_ERROR']);
/** Keys that legitimately move while requests are refused: BullMQ's bookkeeping and the mutation budgets. */
const VOLATILE = (prefix: string) => [bullPrefix(prefix), `${prefix}ratelimit:`];

const PERSON_ID = '11010519491231002X';
const USCC = '91350100M000100Y43';
const CATALOG_CODES = new Set([...SICHUAN_CATALOG, ...YUKUAIBAN_CATALOG].map((item) => item.code));
const OPS: Caller = { subject: 'ops-fuzz', role: 'OPS', region: 'CHONGQING', windowId: null };
const SUPERVISOR: Caller = { subject: 'supervisor-fuzz', role: 'SUPERVISOR', region: 'SICHUAN', windowId: null };
const RECEIVING = ROUTES[0]!;

interface Outcome {
  status: number;
  codes: string[];
  /** GraphQL errors without any code: a refusal clients could not branch on. */
  uncoded: number;
}

const rejects = (check: (value: unknown) => unknown) => (value: unknown) => {
  try {
    check(value);
    return false;
  } catch {
    return true;
  }
};

const blank = fc.array(fc.constantFrom(' ', '\t', '\n', '\r', '\u3000', '\u00a0', '\u2003', '\ufeff'), { maxLength: 12 }).map((chars) => chars.join(''));
/** Past the 100 characters a name may have; a few past the 1 MiB body limit. */
const oversized = fc.oneof(
  { weight: 9, arbitrary: fc.integer({ min: 101, max: 5000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 400_000, max: 600_000 }) },
).map((length) => '名'.repeat(length));
const anyText = fc.string({ unit: 'binary', maxLength: 40 });
const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });

describe('bad input', () => {
  let stack: TestStack;
  let before: Map<string, string>;
  let sent = 0;
  const tally = new Map<string, number>();
  const tokens = new Map<string, string>();
  const existing: { received: string; inTransfer: string[]; deficient: string } = { received: '', inTransfer: [], deficient: '' };
  const replays: { url: string; headers: Record<string, string>; body: string }[] = [];

  async function post(url: string, body: string, headers: Record<string, string>): Promise<Outcome> {
    sent += 1;
    const response = await fetch(url, { method: 'POST', headers, body });
    const text = await response.text();
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      // A non-JSON answer has no code at all; counted below as uncoded when it is a refusal.
    }
    const errors: any[] = Array.isArray(json?.errors) ? json.errors : [];
    const codes = [
      ...errors.map((error) => error?.extensions?.code).filter((code): code is string => typeof code === 'string'),
      ...[json?.error?.code, json?.code].filter((code): code is string => typeof code === 'string' && code !== 'OK'),
    ];
    const uncoded = errors.filter((error) => typeof error?.extensions?.code !== 'string').length + (json === null ? 1 : 0);
    for (const code of codes) tally.set(code, (tally.get(code) ?? 0) + 1);
    return { status: response.status, codes, uncoded };
  }

  async function graphql(caller: Caller, body: unknown, contentType = 'application/json'): Promise<Outcome> {
    let token = tokens.get(caller.subject + caller.windowId);
    if (!token) tokens.set(caller.subject + caller.windowId, (token = await stack.token(caller)));
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    return post(`${stack.gateway.url}/graphql`, payload, { 'content-type': contentType, authorization: `Bearer ${token}` });
  }

  /** The property every generated request must have. */
  function refusedStably(label: string, outcome: Outcome, input: unknown): void {
    const detail = `${label}: ${JSON.stringify(outcome)} for ${JSON.stringify(input).slice(0, 400)}`;
    if (outcome.status >= 500) throw new Error(`5xx ${detail}`);
    if (outcome.codes.length === 0 || outcome.uncoded > 0) throw new Error(`not refused with a code: ${detail}`);
    for (const code of outcome.codes) {
      if (!STABLE_CODE.test(code) || UNSTABLE_CODES.has(code)) throw new Error(`unstable code ${code}: ${detail}`);
    }
  }

  async function snapshot(): Promise<Map<string, string>> {
    const volatile = VOLATILE(stack.prefix);
    const keys: string[] = [];
    let cursor = '0';
    do {
      // The stack's client adds the prefix to commands but not to SCAN's pattern or its answers.
      const [next, found] = await stack.redis.scan(cursor, 'MATCH', `${stack.prefix}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...found.filter((key) => !volatile.some((start) => key.startsWith(start))));
    } while (cursor !== '0');
    const digests = new Map<string, string>();
    for (const key of keys) {
      const unprefixed = key.slice(stack.prefix.length);
      const dump = await stack.redis.dumpBuffer(unprefixed);
      digests.set(unprefixed, dump ? createHash('sha256').update(dump).digest('hex') : 'gone');
    }
    return digests;
  }

  beforeAll(async () => {
    stack = await startTestStack({ now: () => OFFICE_HOURS, env: { MUTATIONS_PER_MINUTE: '1000000' } });

    // Cases in several stages, so that mutations on real business numbers meet real transitions.
    const receive = async (routeIndex: number, tag: string, materials?: unknown[]) => {
      const route = ROUTES[routeIndex]!;
      const input = { ...application(route.item, route.windowId, tag), ...(materials ? { materials } : {}) };
      return (await gql(stack, staffAt(route.windowId), RECEIVE, { input })).receiveApplication;
    };
    existing.received = (await receive(0, 'fuzz-received')).businessNo;
    existing.deficient = (await receive(0, 'fuzz-deficient', [{ name: '无关材料', form: 'COPY', copies: 1 }])).businessNo;
    for (const [index, route] of ROUTES.entries()) {
      const { businessNo } = await receive(index, `fuzz-transfer-${index}`);
      await scanMaterials(stack, businessNo);
      await gql(stack, staffAt(route.windowId), DISPATCH, { no: businessNo });
      existing.inTransfer.push(businessNo);
    }
    await until('both transfers forwarded', async () => (await Promise.all(existing.inTransfer.map((no) => stack.workflow.get(no)))).every((r) => r.platformCaseId), 15_000);

    // Genuine pushes, accepted once now; during the run they come back byte for byte.
    const sichuanCase = stack.sichuan.cases()[0]!;
    const sichuanBody = JSON.stringify({ eventId: 'fuzz-replay-sc', caseId: sichuanCase.caseId, businessNo: sichuanCase.businessNo, itemCode: sichuanCase.itemCode, status: 'SB', statusTime: sichuanCase.updateTime, reasonList: [], decisionResult: null });
    const { appId, appSecret } = stack.config.platforms.sichuan;
    const head = { appId, requestTime: formatWireTime(Date.now()), nonce: 'fuzzreplaynonce000000001', signType: 'SM3' };
    replays.push({
      url: `${stack.subgraphs.sichuan.url}${SICHUAN_WEBHOOK_PATH}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ head: { ...head, sign: sm3Sign(appSecret, requestCanonical(head, sichuanBody)) }, body: sichuanBody }),
    });
    const ykbCase = stack.yukuaiban.cases()[0]!;
    const ykbBody = JSON.stringify({ tsbh: 'fuzz-replay-ykb', bjbh: ykbCase.bjbh, ywbh: ykbCase.ywbh, sxbm: ykbCase.sxbm, zt: ykbCase.zt, jdjg: ykbCase.jdjg, byslyy: [], bgsj: ykbCase.gxsj });
    const { appKey, appSecret: ykbSecret } = stack.config.platforms.yukuaiban;
    replays.push({
      url: `${stack.subgraphs.chongqing.url}${YUKUAIBAN_WEBHOOK_PATH}`,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        ...signedYukuaibanHeaders({ appKey, secret: ykbSecret, method: 'POST', pathWithQuery: YUKUAIBAN_WEBHOOK_PATH, body: ykbBody, now: Date.now(), nonce: newYukuaibanNonce() }),
      },
      body: ykbBody,
    });
    for (const replay of replays) expect((await fetch(replay.url, { method: 'POST', headers: replay.headers, body: replay.body })).status).toBe(200);

    // Reads that fill caches, and the work the pushes queued, happen before the snapshot, not during the run.
    await gql(stack, staffAt(RECEIVING.windowId), '{ windows { id } serviceItems(first: 5) { totalCount } cases(first: 5) { totalCount } }');
    await settle();
    before = await snapshot();
  });

  afterAll(async () => {
    await stack?.close();
  });

  /** Waits until no queue has work waiting or running, so the snapshot sees a still Redis. */
  async function settle(): Promise<void> {
    const connection = new Redis(stack.redisUrl, { maxRetriesPerRequest: null });
    const queues = QUEUE_NAMES.map((name) => new Queue(name, { connection, prefix: bullPrefix(stack.prefix) }));
    try {
      await until(
        'queues idle',
        async () => {
          const counts = await Promise.all(queues.map((queue) => queue.getJobCounts('waiting', 'active', 'prioritized')));
          return counts.every((c) => !c.waiting && !c.active && !c.prioritized);
        },
        15_000,
        100,
      );
    } finally {
      await Promise.all(queues.map((queue) => queue.close()));
      connection.disconnect();
    }
  }

  it('refuses malformed GraphQL documents and request bodies with 4xx and a code', async () => {
    const tokenSoup = fc
      .array(fc.constantFrom('{', '}', '(', ')', '[', ']', ':', '!', '=', '...', '#', '"', '$input', '$no', 'mutation', 'query', 'fragment', 'on', 'Case', 'receiveApplication', 'dispatchMaterials', 'businessNo', 'input', '@include', '1.5e', '"""'), { maxLength: 40 })
      .map((tokens) => tokens.join(' '));
    const document = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      tokenSoup,
      fc.nat({ max: RECEIVE.trimEnd().length - 2 }).map((cut) => RECEIVE.slice(0, cut)),
      fc.tuple(fc.nat({ max: 30 }), fc.nat({ max: 30 })).map(([open, close]) => `mutation ${'{'.repeat(open + 1)} dispatchMaterials ${'}'.repeat(close === open + 1 ? close + 1 : close)}`),
    );
    const body = fc.oneof(
      { weight: 6, arbitrary: document.map((query) => ({ kind: 'json', body: { query } as unknown })) },
      { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.string()), fc.dictionary(fc.string(), fc.string())).map((query) => ({ kind: 'json', body: { query } as unknown })) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }).map((raw) => ({ kind: 'raw-json', body: `{${raw}` as unknown })) },
      { weight: 1, arbitrary: document.map((query) => ({ kind: 'text', body: query as unknown })) },
    );
    await fc.assert(
      fc.asyncProperty(body, async (request) => {
        const outcome = await graphql(staffAt(RECEIVING.windowId), request.body, request.kind === 'text' ? 'text/plain' : 'application/json');
        refusedStably('document', outcome, request);
      }),
      { numRuns: RUNS.malformedDocuments },
    );
  });

  it('refuses variables of the wrong type', async () => {
    // An item that exists nowhere: should a wrong type ever be coerced, the receipt still cannot write.
    const base = { ...application(RECEIVING.item, RECEIVING.windowId, 'fuzz-types'), itemCode: '510000-99999' };
    const notString = fc.oneof(fc.integer(), fc.double({ noInteger: true }), fc.boolean(), fc.constant(null), fc.array(fc.string(), { minLength: 1, maxLength: 3 }), fc.dictionary(fc.string(), fc.string()));
    const notInt = fc.oneof(fc.string(), fc.double({ noInteger: true }), fc.boolean(), fc.constant(null), fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 1e20));
    const notEnum = (values: string[]) => fc.oneof(fc.string().filter((s) => !values.includes(s)), fc.integer(), fc.boolean(), fc.constant(null));
    const notObject = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.string(), { minLength: 1, maxLength: 2 }));
    const wrong = fc.oneof(
      fc.record({ path: fc.constantFrom('applicant.name', 'applicant.idNumber', 'contact.name', 'contact.phone', 'handler', 'materials.0.name'), value: notString }),
      fc.record({ path: fc.constant('materials.0.copies'), value: notInt }),
      fc.record({ path: fc.constant('applicant.kind'), value: notEnum(['PERSON', 'ORGANISATION']) }),
      fc.record({ path: fc.constant('delivery.method'), value: notEnum(['MAIL', 'PICKUP']) }),
      fc.record({ path: fc.constant('materials.0.form'), value: notEnum(['ORIGINAL', 'COPY', 'ORIGINAL_AND_COPY', 'ELECTRONIC']) }),
      fc.record({ path: fc.constantFrom('applicant', 'contact', 'delivery'), value: notObject }),
      fc.record({ path: fc.constant('materials'), value: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.oneof(fc.string(), fc.integer()), { minLength: 1, maxLength: 3 })) }),
      fc.record({ path: fc.constantFrom('unknownField', 'applicant.unknownField', 'materials.0.colour'), value: fc.jsonValue() }),
    );
    await fc.assert(
      fc.asyncProperty(wrong, async ({ path, value }) => {
        const input = structuredClone(base) as Record<string, any>;
        const steps = path.split('.');
        let at = input;
        for (const step of steps.slice(0, -1)) at = at[step];
        at[steps.at(-1)!] = value;
        const outcome = await graphql(staffAt(RECEIVING.windowId), { query: RECEIVE, variables: { input } });
        refusedStably('wrong type', outcome, { path, value });
      }),
      { numRuns: RUNS.wrongVariableTypes },
    );
  });

  it('refuses invalid resident IDs, USCCs, phones, postcodes, item codes and windows', async () => {
    const base = application(RECEIVING.item, RECEIVING.windowId, 'fuzz-ids');
    const residentIds = fc
      .oneof(
        digits(0, 20),
        digits(17, 17).map((first) => `${first}${'0123456789X'[Number(first[3]) % 11]}`),
        fc.nat({ max: 17 }).chain((at) => digits(1, 1).map((d) => PERSON_ID.slice(0, at) + d + PERSON_ID.slice(at + 1))),
        anyText,
        fc.constant(USCC),
      )
      .filter(rejects((id) => validateResidentId(id, { now: OFFICE_HOURS.toISOString() })));
    const usccs = fc
      .oneof(
        fc.string({ unit: fc.constantFrom(...'0123456789ABCDEFGHJKLMNPQRTUWXY'), minLength: 0, maxLength: 20 }),
        fc.nat({ max: 17 }).chain((at) => fc.constantFrom(...'0123456789ABCDEFGHJKLMNPQRTUWXYIOSVZ').map((c) => USCC.slice(0, at) + c + USCC.slice(at + 1))),
        anyText,
        fc.constant(PERSON_ID),
      )
      .filter(rejects(validateUscc));
    const phones = fc.oneof(digits(0, 14), fc.string({ unit: fc.constantFrom(...'0123456789-+() '), maxLength: 16 }), anyText).filter(rejects(validatePhone));
    const postcodes = fc.oneof(digits(0, 9), anyText).filter(rejects(validatePostcode));
    const unknownItems = fc.oneof(fc.tuple(fc.constantFrom('500000', '510000', '513200'), digits(5, 5)).map(([division, serial]) => `${division}-${serial}`), anyText).filter((code) => !CATALOG_CODES.has(code));
    const unknownWindows = fc.oneof(digits(6, 6).map((division) => `W-${division}-99`), anyText);

    const variant = fc.oneof(
      residentIds.map((idNumber) => ({ ...base, applicant: { kind: 'PERSON', name: '王小明', idNumber } })),
      usccs.map((idNumber) => ({ ...base, applicant: { kind: 'ORGANISATION', name: '某某公司', idNumber } })),
      phones.map((phone) => ({ ...base, contact: { name: '赵工', phone } })),
      fc
        .tuple(postcodes, fc.boolean())
        .map(([postcode, withAddress]) => ({ ...base, delivery: { method: 'MAIL', ...(withAddress ? { address: { recipient: '赵工', phone: '13812345678', address: '重庆市渝北区', postcode } } : {}) } })),
      unknownItems.map((itemCode) => ({ ...base, itemCode })),
      unknownWindows.map((windowId) => ({ ...base, windowId })),
      // An empty jurisdiction window means "the default one": not a bad input.
      unknownWindows.filter((id) => id !== '').map((jurisdictionWindowId) => ({ ...base, jurisdictionWindowId })),
      // A Chongqing window is no jurisdiction for a Sichuan item.
      fc.constant({ ...base, jurisdictionWindowId: 'W-500101-01' }),
    );
    await fc.assert(
      fc.asyncProperty(variant, async (input) => {
        // Staff of the window named, so the refusal comes from the validation, not from authorisation.
        const caller = typeof input.windowId === 'string' && input.windowId ? staffAt(input.windowId) : staffAt(RECEIVING.windowId);
        refusedStably('identifier', await graphql(caller, { query: RECEIVE, variables: { input } }), input);
      }),
      { numRuns: RUNS.invalidIdentifiers },
    );
  });

  it('refuses too many, empty or invalid materials, blank names and huge strings', async () => {
    const base = application(RECEIVING.item, RECEIVING.windowId, 'fuzz-materials');
    const material = (name: string, copies = 1) => ({ name, form: 'COPY', copies });
    const variant = fc.oneof(
      fc.integer({ min: 51, max: 200 }).map((count) => ({ ...base, materials: Array.from({ length: count }, (_, i) => material(`材料${i}`)) })),
      fc.constant({ ...base, materials: [] }),
      fc.oneof(fc.integer({ min: -(2 ** 31), max: 0 }), fc.integer({ min: 100, max: 2 ** 31 - 1 })).map((copies) => ({ ...base, materials: [...base.materials, material('附件', copies)] })),
      fc.oneof(blank, oversized).map((name) => ({ ...base, materials: [...base.materials, material(name)] })),
      fc.oneof(blank, oversized).map((name) => ({ ...base, applicant: { ...base.applicant, name } })),
      fc.oneof(blank, oversized).map((name) => ({ ...base, contact: { ...base.contact, name } })),
      fc.oneof(blank, oversized).map((handler) => ({ ...base, handler })),
    );
    await fc.assert(
      fc.asyncProperty(variant, async (input) => refusedStably('materials', await graphql(staffAt(RECEIVING.windowId), { query: RECEIVE, variables: { input } }), input)),
      { numRuns: RUNS.badMaterialsAndNames },
    );
  });

  it('refuses window upserts with invalid division codes, phones, hours, item codes or a stale version', async () => {
    const { window } = await gql(
      stack,
      OPS,
      `{ window(id: "${RECEIVING.windowId}") { id name region divisionCode hall address contact { person phone email mailingAddress postcode } hours { day ranges } makeupDayHours roles scopes departments itemCodes active sampleData version } }`,
    );
    const { version, ...stored } = window;
    const base = { ...stored, expectedVersion: version };
    const divisions = fc.oneof(digits(0, 8), anyText, digits(2, 2).map((county) => `5100${county}`)).filter((code) => rejects(validateDivisionCode)(code) || (/^\d{6}$/.test(code) && code.slice(2, 4) === '00' && code.slice(4) !== '00'));
    const variant = fc.oneof(
      divisions.map((divisionCode) => ({ ...base, divisionCode })),
      // A valid Sichuan division under the Chongqing region.
      fc.constantFrom('510100', '513200', '511600').map((divisionCode) => ({ ...base, divisionCode })),
      fc.oneof(digits(0, 14), anyText).filter(rejects(validatePhone)).map((phone) => ({ ...base, contact: { ...base.contact, phone } })),
      fc.oneof(digits(0, 9), anyText).filter(rejects(validatePostcode)).map((postcode) => ({ ...base, contact: { ...base.contact, postcode } })),
      fc.constantFrom('25:00-26:00', '12:00-09:00', '9-5', '', 'always').map((range) => ({ ...base, hours: [{ day: 'MONDAY', ranges: [range] }] })),
      fc.oneof(anyText, digits(6, 12)).map((code) => ({ ...base, itemCodes: [code] })),
      fc.oneof(fc.constant(''), fc.constant('   '), fc.string({ minLength: 65, maxLength: 80 }), fc.constantFrom('W 50', 'W/50', '-W')).map((id) => ({ ...base, id })),
      fc.oneof(blank, fc.string({ minLength: 65, maxLength: 500 })).map((name) => ({ ...base, name })),
      fc.integer({ min: version + 1, max: version + 1000 }).map((expectedVersion) => ({ ...base, name: `${base.name}（改）`, expectedVersion })),
    );
    await fc.assert(
      fc.asyncProperty(variant, async (input) =>
        refusedStably('window', await graphql(OPS, { query: 'mutation ($input: WindowInput!) { upsertWindow(input: $input) { id version } }', variables: { input } }), input),
      ),
      { numRuns: RUNS.badWindows },
    );
  });

  it('refuses bad arguments to the other mutations and queries', async () => {
    const unknownNo = fc.oneof(fc.string({ maxLength: 40 }), digits(21, 21).map((d) => `TB${d}`)).filter((no) => no !== existing.received && no !== existing.deficient && !existing.inTransfer.includes(no));
    const inTransfer = fc.constantFrom(...existing.inTransfer);
    const receiving = staffAt(RECEIVING.windowId);
    const request = fc.oneof(
      fc.record({ caller: fc.constant(receiving), query: fc.constant(DISPATCH), variables: fc.record({ no: unknownNo }) }),
      // Dispatching again on the channel a case went by answers that case (a retry); another channel is refused.
      fc.record({ caller: fc.constant(receiving), query: fc.constant('mutation ($no: ID!) { dispatchMaterials(businessNo: $no, channel: OFFLINE) { stage } }'), variables: fc.record({ no: inTransfer }) }),
      fc.record({
        caller: fc.constant(receiving),
        query: fc.constant('mutation ($no: ID!, $score: Int!, $comment: String) { evaluate(businessNo: $no, score: $score, comment: $comment) { score } }'),
        variables: fc.oneof(
          fc.record({ no: fc.constant(existing.received), score: fc.oneof(fc.integer({ min: -(2 ** 31), max: 0 }), fc.integer({ min: 6, max: 2 ** 31 - 1 })), comment: fc.constant(null) }),
          fc.record({ no: fc.constant(existing.received), score: fc.integer({ min: 1, max: 5 }), comment: fc.integer({ min: 501, max: 3000 }).map((n) => '评'.repeat(n)) }),
          fc.record({ no: fc.oneof(unknownNo, inTransfer, fc.constant(existing.received)), score: fc.integer({ min: 1, max: 5 }), comment: fc.constant(null) }),
        ),
      }),
      fc.record({
        caller: fc.constant(receiving),
        query: fc.constantFrom(
          'mutation ($no: ID!) { recordDelivered(businessNo: $no) { stage } }',
          'mutation ($no: ID!) { notifyApplicantForPickup(businessNo: $no) { stage } }',
          'mutation ($no: ID!) { recordResultAtWindow(businessNo: $no) { stage } }',
        ),
        variables: fc.record({ no: fc.oneof(unknownNo, inTransfer, fc.constant(existing.received)) }),
      }),
      fc.record({
        caller: fc.constant(receiving),
        query: fc.constant('mutation ($no: ID!, $m: [MaterialInput!]!) { resubmitCorrections(businessNo: $no, materials: $m) { kind } }'),
        variables: fc.oneof(
          fc.record({ no: fc.constant(existing.deficient), m: fc.oneof(fc.constant([]), fc.constant(Array.from({ length: 51 }, (_, i) => ({ name: `材料${i}`, form: 'COPY', copies: 1 }))), fc.constant([{ name: ' ', form: 'COPY', copies: 1 }]), fc.constant([{ name: '附件', form: 'COPY', copies: 0 }])) }),
          fc.record({ no: fc.oneof(unknownNo, fc.constant(existing.received), inTransfer), m: fc.constant([{ name: '附件', form: 'COPY', copies: 1 }]) }),
        ),
      }),
      fc.record({ caller: fc.constant(receiving), query: fc.constant('mutation ($id: ID!) { acknowledgeAlert(id: $id) { status } }'), variables: fc.record({ id: fc.string({ maxLength: 60 }) }) }),
      fc.record({
        caller: fc.constant(OPS),
        query: fc.constant('mutation ($q: String!, $id: ID!) { retryJob(queue: $q, jobId: $id) { state } }'),
        variables: fc.record({ q: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom(...QUEUE_NAMES)), id: fc.string({ maxLength: 40 }).map((id) => `fuzz-${id}`) }),
      }),
      fc.record({
        caller: fc.constant(OPS),
        query: fc.constant('mutation ($q: String!, $limit: Int) { replayDeadLetters(queue: $q, limit: $limit) }'),
        variables: fc.oneof(
          fc.record({ q: fc.string({ maxLength: 30 }).filter((q) => !(QUEUE_NAMES as readonly string[]).includes(q)), limit: fc.integer({ min: 1, max: 1000 }) }),
          fc.record({ q: fc.constantFrom(...QUEUE_NAMES), limit: fc.oneof(fc.integer({ min: -(2 ** 31), max: 0 }), fc.integer({ min: 1001, max: 2 ** 31 - 1 })) }),
        ),
      }),
      fc.record({
        caller: fc.constant(receiving),
        query: fc.constant('query ($first: Int, $after: String) { cases(first: $first, after: $after) { totalCount } }'),
        variables: fc.oneof(
          fc.record({ first: fc.oneof(fc.integer({ min: -(2 ** 31), max: -1 }), fc.integer({ min: 1001, max: 2 ** 31 - 1 })), after: fc.constant(null) }),
          fc.record({ first: fc.constant(5), after: fc.string({ minLength: 1, maxLength: 60 }) }),
        ),
      }),
      fc.record({
        caller: fc.constant(receiving),
        query: fc.constant('query ($s: String, $first: Int) { serviceItems(search: $s, first: $first) { totalCount } }'),
        variables: fc.oneof(
          fc.record({ s: fc.integer({ min: 101, max: 20_000 }).map((n) => '律'.repeat(n)), first: fc.constant(5) }),
          fc.record({ s: fc.constant(null), first: fc.oneof(fc.integer({ min: -(2 ** 31), max: -1 }), fc.integer({ min: 1001, max: 2 ** 31 - 1 })) }),
        ),
      }),
      fc.record({
        caller: fc.constant(receiving),
        query: fc.constant('query ($from: Date!, $to: Date!) { workingDays(from: $from, to: $to) }'),
        variables: fc.record({ from: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('2025-02-30', '2025-13-01', '1900-01-01T00:00', '99999-01-01')), to: fc.constant('2025-12-31') }),
      }),
      fc.record({
        caller: fc.constant(SUPERVISOR),
        query: fc.constant('query ($p: PeriodInput!) { statistics(period: $p) { received } }'),
        variables: fc.oneof(
          fc.record({ p: fc.record({ from: fc.constant('2024-01-01'), to: fc.constantFrom('2025-06-01', '2030-01-01') }) }),
          fc.record({ p: fc.record({ from: fc.constant('2025-12-01'), to: fc.constant('2025-01-01') }) }),
          fc.record({ p: fc.record({ from: fc.string({ maxLength: 12 }), to: fc.constant('2025-01-01') }) }),
        ),
      }),
    );
    await fc.assert(
      fc.asyncProperty(request, async ({ caller, query, variables }) => refusedStably('argument', await graphql(caller, { query, variables }), { query, variables })),
      { numRuns: RUNS.badArguments },
    );
  });

  it('refuses forged, malformed and replayed platform pushes', async () => {
    const sichuanUrl = `${stack.subgraphs.sichuan.url}${SICHUAN_WEBHOOK_PATH}`;
    const chongqingUrl = `${stack.subgraphs.chongqing.url}${YUKUAIBAN_WEBHOOK_PATH}`;
    const { appId } = stack.config.platforms.sichuan;
    const { appKey, appSecret } = stack.config.platforms.yukuaiban;
    const sichuanEvent = JSON.parse(JSON.parse(replays[0]!.body).body);
    const forgedSecret = fc.string({ minLength: 16, maxLength: 40 }).filter((secret) => secret !== stack.config.platforms.sichuan.appSecret && secret !== appSecret);

    const push = fc.oneof(
      // Random bytes and random JSON to either receiver.
      fc.record({ url: fc.constantFrom(sichuanUrl, chongqingUrl), headers: fc.constant({ 'content-type': 'application/json' }), body: fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.jsonValue().map((value) => JSON.stringify(value))) }),
      // 四川: a well-formed envelope signed with a key that is not the shared secret, or with a stale time.
      fc.record({ secret: forgedSecret, nonce: fc.string({ unit: fc.constantFrom(...'abcdef0123456789'), minLength: 16, maxLength: 32 }), status: fc.constantFrom('SL', 'SH', 'JD', 'BYSL') }).map(({ secret, nonce, status }) => {
        const body = JSON.stringify({ ...sichuanEvent, eventId: `forged-${nonce}`, status });
        const head = { appId, requestTime: formatWireTime(Date.now()), nonce, signType: 'SM3' };
        return { url: sichuanUrl, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ head: { ...head, sign: sm3Sign(secret, requestCanonical(head, body)) }, body }) };
      }),
      fc.integer({ min: 301, max: 86_400 }).map((ageSeconds) => {
        const body = JSON.stringify({ ...sichuanEvent, eventId: `stale-${ageSeconds}`, status: 'SL' });
        const head = { appId, requestTime: formatWireTime(Date.now() - ageSeconds * 1000), nonce: `stale${ageSeconds}nonce0000000`, signType: 'SM3' };
        return { url: sichuanUrl, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ head: { ...head, sign: sm3Sign(stack.config.platforms.sichuan.appSecret, requestCanonical(head, body)) }, body }) };
      }),
      // 渝快办: forged signatures, missing headers, stale timestamps; and genuine signatures over bodies that break the contract.
      fc.record({ secret: fc.oneof(forgedSecret, fc.constant(appSecret)), age: fc.oneof(fc.constant(0), fc.integer({ min: 301, max: 86_400 })), body: fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.string({ unit: 'binary', maxLength: 200 })) }).map(({ secret, age, body }) => ({
        url: chongqingUrl,
        headers: { 'content-type': 'application/json', ...signedYukuaibanHeaders({ appKey, secret, method: 'POST', pathWithQuery: YUKUAIBAN_WEBHOOK_PATH, body, now: Date.now() - age * 1000, nonce: newYukuaibanNonce() }) },
        body,
      })),
      // X-Ykb-AppKey is not part of what is signed, so only the signed headers are dropped.
      fc.subarray(['x-ykb-timestamp', 'x-ykb-nonce', 'x-ykb-signature'], { minLength: 1 }).map((dropped) => {
        const signed = signedYukuaibanHeaders({ appKey, secret: appSecret, method: 'POST', pathWithQuery: YUKUAIBAN_WEBHOOK_PATH, body: replays[1]!.body, now: Date.now(), nonce: newYukuaibanNonce() });
        return { url: chongqingUrl, headers: { 'content-type': 'application/json', ...Object.fromEntries(Object.entries(signed).filter(([name]) => !dropped.includes(name))) }, body: replays[1]!.body };
      }),
      // The genuine pushes accepted before the run, sent again byte for byte.
      fc.constantFrom(...replays),
    );
    await fc.assert(
      fc.asyncProperty(push, async ({ url, headers, body }) => {
        const outcome = await post(url, body, headers);
        refusedStably('webhook', outcome, { url, headers, body: body.slice(0, 200) });
        if (outcome.status < 400) throw new Error(`push accepted: ${JSON.stringify({ url, headers, body })}`);
        if (!outcome.codes.every((code) => code.startsWith('WEBHOOK.'))) throw new Error(`push refused with ${outcome.codes}`);
      }),
      { numRuns: RUNS.webhooks },
    );
  });

  it('refuses abusive documents, misused protocol features and odd URLs at once, never with a 5xx', async () => {
    // Over the token limit, the parser refuses first.
    const EXPECTED_REFUSALS: Record<string, string[]> = {
      'mutation flood': ['LIMIT.MUTATIONS', 'LIMIT.ALIASES', 'GRAPHQL_PARSE_FAILED'],
      'alias flood': ['LIMIT.ALIASES', 'GRAPHQL_PARSE_FAILED'],
      'introspection alias flood': ['LIMIT.ALIASES', 'GRAPHQL_PARSE_FAILED'],
      'fragment chain': ['LIMIT.COST', 'GRAPHQL_PARSE_FAILED'],
      'directive flood': ['LIMIT.DIRECTIVES', 'GRAPHQL_PARSE_FAILED'],
      'page size (literal)': ['INPUT.INVALID_PAGE_SIZE', 'BAD_USER_INPUT'],
      'page size (variable)': ['INPUT.INVALID_PAGE_SIZE', 'BAD_USER_INPUT'],
      'page size (default)': ['INPUT.INVALID_PAGE_SIZE', 'BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'],
      'unknown operation': ['OPERATION_RESOLUTION_FAILURE'],
      'persisted query version': ['PERSISTED_QUERY_VERSION_UNSUPPORTED', 'BAD_REQUEST'],
      'deeply nested variables': ['INPUT.TOO_DEEP'],
    };
    const field = 'isWorkingDay(date: "2025-11-24")';
    const abusive = fc.oneof(
      fc.integer({ min: 18, max: 60 }).map((levels) => ({
        kind: 'fragment chain',
        body: {
          query: `{ ...F0 } ${Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F${levels} on Query { ${field} }`,
        },
      })),
      fc.integer({ min: 21, max: 400 }).map((n) => ({ kind: 'alias flood', body: { query: `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }` } })),
      fc.integer({ min: 21, max: 300 }).map((n) => ({ kind: 'introspection alias flood', body: { query: `{ ${Array.from({ length: n }, (_, i) => `s${i}: __schema { queryType { name } }`).join(' ')} }` } })),
      fc.integer({ min: 800, max: 5000 }).map((n) => ({ kind: 'field flood', body: { query: `{ ${`${field} `.repeat(n)} }` } })),
      fc.integer({ min: 13, max: 80 }).map((depth) => ({ kind: 'deep', body: { query: `{ case(businessNo: "x") { ${'notices { case { '.repeat(depth)} stage ${'} } '.repeat(depth)} } }` } })),
      fc.integer({ min: 31, max: 400 }).map((n) => ({ kind: 'directive flood', body: { query: `{ __typename ${'@include(if: true) '.repeat(n)} }` } })),
      fc.integer({ min: 6, max: 40 }).map((n) => ({
        kind: 'mutation flood',
        body: { query: `mutation { ${Array.from({ length: n }, (_, i) => `m${i}: notifyApplicantForPickup(businessNo: "TB-FUZZ-${i}") { stage }`).join(' ')} }` },
      })),
      fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 101 })).chain((first) =>
        fc.constantFrom(
          { kind: 'page size (literal)', body: { query: `{ cases(first: ${first}) { totalCount } }` } },
          { kind: 'page size (variable)', body: { query: 'query ($n: Int) { cases(first: $n) { totalCount } }', variables: { n: first } } },
          { kind: 'page size (default)', body: { query: `query ($n: Int = ${first}) { serviceItems(first: $n) { totalCount } }` } },
        ),
      ),
      fc.string({ maxLength: 20 }).map((name) => ({ kind: 'unknown operation', body: { query: 'query A { __typename } query B { __typename }', operationName: name === 'A' || name === 'B' ? `${name}x` : name } })),
      fc.oneof(fc.integer().filter((v) => v !== 1), fc.string(), fc.constant(null)).map((version) => ({
        kind: 'persisted query version',
        body: { query: '{ __typename }', extensions: { persistedQuery: { version, sha256Hash: createHash('sha256').update('{ __typename }').digest('hex') } } },
      })),
      fc.integer({ min: 65, max: 100_000 }).map((depth) => ({
        kind: 'deeply nested variables',
        body: `{"query":"query ($no: ID!) { case(businessNo: $no) { stage } }","variables":{"no":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
      })),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }).map((variables) => ({
        kind: 'variables of the wrong shape',
        body: { query: 'query ($no: ID!, $n: Int) { case(businessNo: $no) { stage } cases(first: $n) { totalCount } }', variables },
      })),
    );
    await fc.assert(
      fc.asyncProperty(abusive, async (request) => {
        const started = performance.now();
        const outcome = await graphql(staffAt(RECEIVING.windowId), request.body);
        const ms = performance.now() - started;
        refusedStably(request.kind, outcome, request.body);
        const expected = EXPECTED_REFUSALS[request.kind];
        if (expected && !outcome.codes.some((code) => expected.includes(code))) throw new Error(`${request.kind} refused with ${outcome.codes.join(', ')}, not ${expected.join(' or ')}`);
        if (ms > 1_000) throw new Error(`${request.kind} took ${ms.toFixed(0)} ms to refuse`);
      }),
      { numRuns: RUNS.abusiveDocuments },
    );

    const escape = fc.oneof(fc.constantFrom('%', '%z', '%zz', '%E0%A4%A', '%C0%AF', '%FF', '%00', '%%', '..%2f', '%2e%2e'), fc.string({ maxLength: 6 }).map(encodeURIComponent));
    const route = fc.constantFrom('/notices/', '/notices/TB1/', '/ops/queues/', '/ops/queues/api/queues/', '/ops/queues/static/', '/graphiql/assets/', '/', '/metrics/', '/graphql/');
    const token = await stack.token(OPS);
    await fc.assert(
      fc.asyncProperty(route, escape, fc.constantFrom('GET', 'POST', 'PUT'), fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'), async (path, tail, method, type) => {
        sent += 1;
        const response = await fetch(`${stack.gateway.url}${path}${tail}`, {
          method,
          headers: { authorization: `Bearer ${token}`, cookie: `ops_token=${token}`, ...(method === 'GET' ? {} : { 'content-type': type }) },
          ...(method === 'GET' ? {} : { body: type === 'application/json' ? '{}' : 'a=1' }),
        });
        const text = await response.text();
        if (response.status >= 500) throw new Error(`5xx for ${method} ${path}${tail}: ${text.slice(0, 200)}`);
      }),
      { numRuns: RUNS.oddUrls },
    );
  });

  it('wrote nothing: every key under the prefix is as it was, BullMQ and the mutation budgets aside', async () => {
    await settle();
    const after = await snapshot();
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((key) => before.get(key) !== after.get(key));
    expect(changed).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(1000);
    console.info('[chaos:bad-input]', JSON.stringify({ requests: sent, keysCompared: before.size, codes: Object.fromEntries([...tally].sort((a, b) => b[1] - a[1])) }));
  });
});
