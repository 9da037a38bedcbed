import { Writable } from 'node:stream';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { formatWireTime, requestCanonical, sm3Sign } from '../../adapters/sichuan/sichuan.signature.js';
import { startGateway } from '../../gateway/gateway.server.js';
import { createTokenVerifier } from '../../lib/auth/access-token.js';
import type { Caller } from '../../lib/auth/caller.js';
import { createLogger } from '../../lib/logger.js';
import { usccCheckCharacter } from '../../domain/identifiers/index.js';
import { DEFAULT_CALLER, staffAt, startTestStack, type TestStack } from '../support/stack.js';
import { asGateway } from '../support/subgraph-request.js';

const ITEM = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const PERSON = { kind: 'PERSON', name: '王小明', idNumber: '11010519491231002X' };
const usccWithCheck = (first17: string) => `${first17}${usccCheckCharacter(first17)}`;

const CALLERS: Record<string, Caller> = {
  receivingStaff: DEFAULT_CALLER,
  otherWindowStaff: staffAt('W-500101-01'),
  jurisdictionStaffSC: { subject: 'j-sc', role: 'JURISDICTION_STAFF', region: 'SICHUAN', windowId: 'W-510000-01' },
  jurisdictionStaffCQ: { subject: 'j-cq', role: 'JURISDICTION_STAFF', region: 'CHONGQING', windowId: 'W-500000-01' },
  supervisorCQ: { subject: 's-cq', role: 'SUPERVISOR', region: 'CHONGQING', windowId: null },
  ops: { subject: 'ops-1', role: 'OPS', region: 'CHONGQING', windowId: null },
  platform: { subject: 'platform-sc', role: 'PLATFORM', region: 'SICHUAN', windowId: null },
};

describe('security', () => {
  let stack: TestStack;
  let businessNo: string;
  const now = new Date('2025-11-24T10:00:00+08:00');

  const post = async (body: unknown, headers: Record<string, string> = {}, url = `${stack.gateway.url}/graphql`) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } };
  };
  const bearer = async (caller: Caller) => ({ authorization: `Bearer ${await stack.token(caller)}` });

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now });
    const { record } = await stack.workflow.receiveApplication(
      {
        windowId: 'W-500000-01',
        itemCode: ITEM.code,
        applicant: PERSON as never,
        contact: { name: '王小明', phone: '13812345678' },
        delivery: { method: 'PICKUP' },
        materials: ITEM.materials.map(({ name, form, copies }) => ({ name, form, copies })),
        handler: '李四',
      },
      'test',
    );
    businessNo = record.businessNo;
  });

  afterAll(async () => {
    await stack?.close();
  });

  describe('authentication', () => {
    const query = { query: '{ windows { id } }' };
    const secret = () => new TextEncoder().encode(stack.config.auth.secret);
    const claims = { role: 'WINDOW_STAFF', region: 'CHONGQING', window: 'W-500000-01' };

    it('refuses a missing, forged, expired, unsigned or foreign token with AUTH.UNAUTHENTICATED', async () => {
      const { issuer, audience } = stack.config.auth;
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer(issuer).setAudience(audience).setExpirationTime('1h').sign(new TextEncoder().encode('another-secret-of-thirty-two-chars!!'));
      const expired = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer(issuer).setAudience(audience).setIssuedAt(1_600_000_000).setExpirationTime(1_600_000_600).sign(secret());
      const unsigned = new UnsecuredJWT(claims).setSubject('x').setIssuer(issuer).setAudience(audience).setExpirationTime('1h').encode();
      const otherAudience = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer(issuer).setAudience('someone-else').setExpirationTime('1h').sign(secret());
      const noRole = await new SignJWT({ region: 'CHONGQING' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer(issuer).setAudience(audience).setExpirationTime('1h').sign(secret());

      for (const [label, headers] of [
        ['missing', {}],
        ['not bearer', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
        ['forged', { authorization: `Bearer ${forged}` }],
        ['expired', { authorization: `Bearer ${expired}` }],
        ['alg none', { authorization: `Bearer ${unsigned}` }],
        ['other audience', { authorization: `Bearer ${otherAudience}` }],
        ['no role', { authorization: `Bearer ${noRole}` }],
      ] as const) {
        const response = await post(query, headers);
        expect([label, response.status, response.body.errors?.[0]?.extensions?.code]).toEqual([label, 401, 'AUTH.UNAUTHENTICATED']);
      }
    });

    it('lets platforms call only their webhooks', async () => {
      const response = await post(query, await bearer(CALLERS.platform!));
      expect([response.status, response.body.errors?.[0]?.extensions?.code]).toEqual([403, 'AUTH.FORBIDDEN']);
    });

    it('lets only the gateway reach a subgraph, and checks the caller there again', async () => {
      const key = stack.config.gatewayKeys[0]!;
      for (const name of ['cases', 'chongqing', 'sichuan', 'windows', 'courier'] as const) {
        const url = `${stack.subgraphs[name].url}/graphql`;
        const direct = await post({ query: '{ __typename }' }, await bearer(DEFAULT_CALLER), url);
        expect([name, direct.status, direct.body.errors?.[0]?.extensions?.code]).toEqual([name, 401, 'AUTH.GATEWAY_SIGNATURE']);
        const body = JSON.stringify({ query: '{ __typename }' });
        const anonymous = await fetch(url, { method: 'POST', headers: asGateway(key, url, body), body });
        expect([name, anonymous.status, ((await anonymous.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code]).toEqual([
          name,
          401,
          'AUTH.UNAUTHENTICATED',
        ]);
      }
      const entities = await stack.querySubgraph('cases', 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Case { stage } } }', {
        r: [{ __typename: 'Case', businessNo }],
      });
      expect(entities).toEqual({ data: { _entities: [{ stage: expect.any(String) }] } });
      const url = `${stack.subgraphs.cases.url}/graphql`;
      const body = JSON.stringify({ query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Case { stage } } }', variables: { r: [{ __typename: 'Case', businessNo }] } });
      const stranger = await fetch(url, { method: 'POST', headers: asGateway(key, url, body, (await bearer(CALLERS.otherWindowStaff!)).authorization), body });
      expect(await stranger.json()).toEqual({ data: { _entities: [null] } });
    });
  });

  describe('authorisation matrix', () => {
    type Outcome = 'allow' | 'deny';
    const families: { name: string; run: (caller: Caller) => Promise<{ data?: unknown; errors?: { extensions?: { code?: string } }[] }>; expect: Record<keyof typeof CALLERS, Outcome> }[] = [
      {
        name: 'catalog and directory reads',
        run: (caller) => stack.as(caller).query('{ serviceItem(code: "500000-00001") { name } windows(region: SICHUAN) { id } isWorkingDay(date: "2025-11-24") }'),
        expect: { receivingStaff: 'allow', otherWindowStaff: 'allow', jurisdictionStaffSC: 'allow', jurisdictionStaffCQ: 'allow', supervisorCQ: 'allow', ops: 'allow', platform: 'deny' },
      },
      {
        name: 'case read',
        run: (caller) => stack.as(caller).query('query ($no: ID!) { case(businessNo: $no) { stage } }', { no: businessNo }),
        expect: { receivingStaff: 'allow', otherWindowStaff: 'deny', jurisdictionStaffSC: 'allow', jurisdictionStaffCQ: 'deny', supervisorCQ: 'allow', ops: 'deny', platform: 'deny' },
      },
      {
        name: 'case list',
        run: (caller) => stack.as(caller).query('{ cases(first: 5) { totalCount } }'),
        expect: { receivingStaff: 'allow', otherWindowStaff: 'allow', jurisdictionStaffSC: 'allow', jurisdictionStaffCQ: 'allow', supervisorCQ: 'allow', ops: 'deny', platform: 'deny' },
      },
      {
        name: 'receipt at the receiving window',
        run: (caller) =>
          stack.as(caller).query('mutation ($i: ReceiveApplicationInput!) { receiveApplication(input: $i) { kind } }', {
            i: { windowId: 'W-500000-01', itemCode: '510000-99999', applicant: PERSON, contact: { name: '王', phone: '13812345678' }, delivery: { method: 'PICKUP' }, materials: [{ name: 'x', form: 'COPY', copies: 1 }], handler: '李四' },
          }),
        expect: { receivingStaff: 'allow', otherWindowStaff: 'deny', jurisdictionStaffSC: 'deny', jurisdictionStaffCQ: 'deny', supervisorCQ: 'deny', ops: 'deny', platform: 'deny' },
      },
      {
        name: 'jurisdiction acts',
        run: (caller) => stack.as(caller).query('mutation ($no: ID!) { confirmMaterialsReceived(businessNo: $no) { stage } }', { no: businessNo }),
        expect: { receivingStaff: 'deny', otherWindowStaff: 'deny', jurisdictionStaffSC: 'allow', jurisdictionStaffCQ: 'deny', supervisorCQ: 'deny', ops: 'deny', platform: 'deny' },
      },
      {
        name: 'receiving-window acts',
        run: (caller) => stack.as(caller).query('mutation ($no: ID!) { evaluate(businessNo: $no, score: 9) { score } }', { no: businessNo }),
        expect: { receivingStaff: 'allow', otherWindowStaff: 'deny', jurisdictionStaffSC: 'deny', jurisdictionStaffCQ: 'deny', supervisorCQ: 'deny', ops: 'deny', platform: 'deny' },
      },
      {
        name: 'unmasked personal data',
        run: (caller) => stack.as(caller).query('query ($no: ID!) { case(businessNo: $no) { personalData(reason: { purpose: CASE_HANDLING }) { idNumber } } }', { no: businessNo }),
        expect: { receivingStaff: 'allow', otherWindowStaff: 'deny', jurisdictionStaffSC: 'allow', jurisdictionStaffCQ: 'deny', supervisorCQ: 'deny', ops: 'deny', platform: 'deny' },
      },
      {
        // A notice prints the applicant unmasked: only those who may print it (the /notices rule) get its HTML.
        name: 'notice html',
        run: (caller) => stack.as(caller).query('query ($no: ID!) { case(businessNo: $no) { notices { html } } }', { no: businessNo }),
        expect: { receivingStaff: 'allow', otherWindowStaff: 'deny', jurisdictionStaffSC: 'allow', jurisdictionStaffCQ: 'deny', supervisorCQ: 'deny', ops: 'deny', platform: 'deny' },
      },
      {
        name: 'catalog invalidation',
        run: (caller) => stack.as(caller).query('mutation { invalidateCatalog(region: SICHUAN) }'),
        expect: { receivingStaff: 'deny', otherWindowStaff: 'deny', jurisdictionStaffSC: 'deny', jurisdictionStaffCQ: 'deny', supervisorCQ: 'deny', ops: 'allow', platform: 'deny' },
      },
      {
        name: 'audit log',
        run: (caller) => stack.as(caller).query('query ($no: ID!) { auditLog(businessNo: $no) { actor } }', { no: businessNo }),
        expect: { receivingStaff: 'deny', otherWindowStaff: 'deny', jurisdictionStaffSC: 'deny', jurisdictionStaffCQ: 'deny', supervisorCQ: 'allow', ops: 'deny', platform: 'deny' },
      },
    ];

    /** Allowed means the call got past authorisation: it may still fail on its input (e.g. a bad score). */
    const outcome = (result: { errors?: { extensions?: { code?: string } }[] }): Outcome =>
      result.errors?.some((e) => e.extensions?.code === 'AUTH.FORBIDDEN') ? 'deny' : 'allow';

    for (const family of families) {
      it(family.name, async () => {
        const seen: Record<string, Outcome> = {};
        for (const [name, caller] of Object.entries(CALLERS)) seen[name] = outcome(await family.run(caller));
        expect(seen).toEqual(family.expect);
      });
    }

    it('says nothing in a refusal', async () => {
      const result = await stack.as(CALLERS.otherWindowStaff!).query('query ($no: ID!) { case(businessNo: $no) { stage } }', { no: businessNo });
      expect(result).toEqual({ data: { case: null }, errors: [expect.objectContaining({ message: '无权执行该操作', extensions: expect.objectContaining({ code: 'AUTH.FORBIDDEN' }) })] });
      expect(JSON.stringify(result)).not.toContain('王小明');
    });
  });

  it('masks personal data by default and audits every unmasked read', async () => {
    const masked = await stack.query('query ($no: ID!) { case(businessNo: $no) { applicant { name idNumber } contact { name phone } } }', { no: businessNo });
    expect(masked.data).toEqual({ case: { applicant: { name: '王*明', idNumber: '1101**********002X' }, contact: { name: '王*明', phone: '138****5678' } } });

    // A purpose from the fixed list, not any text.
    const freeText = await stack.query('query ($no: ID!) { case(businessNo: $no) { personalData(reason: "随便看看") { idNumber } } }', { no: businessNo });
    expect(freeText.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const longNote = await stack.query('query ($no: ID!, $note: String) { case(businessNo: $no) { personalData(reason: { purpose: APPLICANT_CONTACT, note: $note }) { idNumber } } }', { no: businessNo, note: '补'.repeat(201) });
    expect(longNote.errors?.[0]?.extensions?.code).toBe('INPUT.NOTE_TOO_LONG');

    const revealed = await stack.query('query ($no: ID!) { case(businessNo: $no) { personalData(reason: { purpose: APPLICANT_CONTACT, note: "电话联系申请人补正" }) { idNumber contactPhone } } }', { no: businessNo });
    expect(revealed.data).toEqual({ case: { personalData: { idNumber: '11010519491231002X', contactPhone: '13812345678' } } });

    // Printing a notice reveals the applicant too: by GraphQL and by the /notices route, each print is audited.
    const notices = await stack.query<{ case: { notices: { url: string; html: string }[] } }>('query ($no: ID!) { case(businessNo: $no) { notices { url html } } }', { no: businessNo });
    expect(notices.data!.case.notices[0]!.html).toContain('13812345678');
    const page = await fetch(`${stack.gateway.url}${notices.data!.case.notices[0]!.url}`, { headers: await bearer(CALLERS.jurisdictionStaffSC!) });
    expect(page.status).toBe(200);

    const audit = await stack.as(CALLERS.supervisorCQ!).query('query ($no: ID!) { auditLog(businessNo: $no) { actor fields purpose note } }', { no: businessNo });
    expect(audit.data).toMatchObject({
      auditLog: expect.arrayContaining([
        { actor: 'WINDOW_STAFF:staff-cq-01', fields: expect.arrayContaining(['applicant.idNumber', 'contact.phone']), purpose: 'APPLICANT_CONTACT', note: '电话联系申请人补正' },
        { actor: 'WINDOW_STAFF:staff-cq-01', fields: ['applicant.name', 'contact.name', 'contact.phone'], purpose: 'PRINT_NOTICE', note: 'N1' },
        { actor: 'JURISDICTION_STAFF:j-sc', fields: ['applicant.name', 'contact.name', 'contact.phone'], purpose: 'PRINT_NOTICE', note: 'N1' },
      ]),
    });
  });

  it("shows an organisation's name and USCC in full, and a sole trader's masked like a person's", async () => {
    const receive = async (applicant: { kind: string; name: string; idNumber: string }) =>
      (
        await stack.workflow.receiveApplication(
          {
            windowId: 'W-500000-01',
            itemCode: ITEM.code,
            applicant: applicant as never,
            contact: { name: '欧阳小明', phone: '13812345678' },
            delivery: { method: 'PICKUP' },
            materials: ITEM.materials.map(({ name, form, copies }) => ({ name, form, copies })),
            handler: '李四',
          },
          'test',
        )
      ).record.businessNo;
    const read = (no: string) => stack.query('query ($no: ID!) { case(businessNo: $no) { applicant { name idNumber } contact { name } } }', { no });
    const company = await read(await receive({ kind: 'ORGANISATION', name: '某某工程检测有限公司', idNumber: '91350100M000100Y43' }));
    expect(company.data).toEqual({ case: { applicant: { name: '某某工程检测有限公司', idNumber: '91350100M000100Y43' }, contact: { name: '欧**明' } } });
    const soleTrader = await read(await receive({ kind: 'ORGANISATION', name: '张三', idNumber: usccWithCheck('92500000MA5U0000X') }));
    expect(soleTrader.data).toMatchObject({ case: { applicant: { name: '张*', idNumber: expect.stringMatching(/^9250\*{10}/) } } });
  });

  it('refuses over-deep, over-costly and alias-flooded operations before any subgraph is asked', async () => {
    const deep = `{ case(businessNo: "x") { ${'notices { case { '.repeat(6)} stage ${'} } '.repeat(6)} } }`;
    expect((await stack.query(deep)).errors?.[0]?.extensions?.code).toBe('LIMIT.DEPTH');
    const aliases = `{ ${Array.from({ length: 25 }, (_, i) => `a${i}: isWorkingDay(date: "2025-11-24")`).join(' ')} }`;
    expect((await stack.query(aliases)).errors?.[0]?.extensions?.code).toBe('LIMIT.ALIASES');
    // 100 cases × 10 notices × 10 notices × 10 events × 4 fields: 400,000 by the gateway's count.
    const costly = '{ cases(first: 100) { edges { node { notices { case { notices { case { timeline { type at actor data } } } } } } } } }';
    expect((await stack.query(costly)).errors?.[0]?.extensions?.code).toBe('LIMIT.COST');
    const tokens = `{ ${'isWorkingDay(date: "2025-11-24") '.repeat(800)} }`;
    expect((await stack.query(tokens)).errors?.[0]?.message).toMatch(/more th\w+ 3000 tokens/);
  });

  it('limits mutations per caller, turns off introspection and suggestions in production', async () => {
    const gateway = await startGateway({ ...stack.gatewayOptions, production: true, mutationsPerMinute: 2, subgraphUrls: stack.gateway.subgraphs, subgraphTimeoutMs: 5000 });
    try {
      // A caller of its own, so the budget spent by other tests does not count.
      const headers = await bearer({ ...DEFAULT_CALLER, subject: 'staff-cq-rate-limited' });
      const url = `${gateway.url}/graphql`;
      const mutation = { query: 'mutation ($no: ID!) { notifyApplicantForPickup(businessNo: $no) { stage } }', variables: { no: businessNo } };
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await post(mutation, headers, url)).body.errors?.[0]?.extensions?.code);
      expect(codes).toEqual(['CASE.INVALID_TRANSITION', 'CASE.INVALID_TRANSITION', 'LIMIT.RATE']);

      const introspection = await post({ query: '{ __schema { types { name } } }' }, headers, url);
      expect(introspection.body.errors?.[0]?.message).toMatch(/introspection/i);
      const typo = await post({ query: '{ windowz { id } }' }, headers, url);
      expect(typo.body.errors?.[0]?.message).toBe('Cannot query field "windowz" on type "Query".');

      const batched = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify([{ query: '{ windows { id } }' }, { query: '{ windows { id } }' }]) });
      expect(batched.status).toBe(400);
      const csrf = await fetch(`${url}?query=${encodeURIComponent('{ windows { id } }')}`, { headers });
      expect(csrf.status).toBe(400);
    } finally {
      await gateway.close();
    }
  });

  it('refuses a replayed platform push', async () => {
    const body = JSON.stringify({ eventId: 'e-replay-1', caseId: 'SC-NONE', businessNo, itemCode: ITEM.code, status: 'SL', statusTime: formatWireTime(Date.now()), reasonList: [], decisionResult: null });
    const head = { appId: stack.config.platforms.sichuan.appId, requestTime: formatWireTime(Date.now()), nonce: 'replaynonce00000000000001', signType: 'SM3' };
    const envelope = JSON.stringify({ head: { ...head, sign: sm3Sign(stack.config.platforms.sichuan.appSecret, requestCanonical(head, body)) }, body });
    const send = () => fetch(`${stack.subgraphs.sichuan.url}/webhooks/sichuan`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: envelope });
    const first = await send();
    const second = await send();
    expect([first.status, second.status]).toEqual([200, 409]);
    expect(await second.json()).toMatchObject({ code: 'WEBHOOK.REPLAYED' });
  });

  it('never writes secrets or identity numbers to the logs', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
    const logger = createLogger({ level: 'info', service: 'test' }, sink);
    logger.info({ headers: { authorization: 'Bearer eyJsecret' }, client: { appSecret: 'app-secret-1', token: 'tok' }, applicant: { idNumber: '11010519491231002X', phone: '13812345678' } }, 'call');
    const text = lines.join('');
    for (const secret of ['eyJsecret', 'app-secret-1', 'tok"', '11010519491231002X', '13812345678']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });

  it('accepts RS256 tokens from the identity provider JWKS in production, and refuses HS256 ones there', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' };
    const jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const settings = { ...stack.config.auth, jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json` };
    try {
      const verifier = createTokenVerifier(settings);
      const token = await new SignJWT({ role: 'OPS', region: 'SICHUAN', window: null })
        .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
        .setSubject('ops-from-idp')
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setExpirationTime('10m')
        .sign(privateKey);
      expect(await verifier.verify(`Bearer ${token}`)).toEqual({ subject: 'ops-from-idp', role: 'OPS', region: 'SICHUAN', windowId: null });
      const hs256 = await stack.token(DEFAULT_CALLER);
      await expect(verifier.verify(`Bearer ${hs256}`)).rejects.toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
    } finally {
      await new Promise((resolve) => jwks.close(resolve));
    }
  });

  it('refuses a request body over 1 MB before parsing it', async () => {
    const huge = JSON.stringify({ query: `{ windows { id } }`, variables: { padding: 'x'.repeat(1_100_000) } });
    const response = await fetch(`${stack.gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await bearer(DEFAULT_CALLER)) },
      body: huge,
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'INPUT.PAYLOAD_TOO_LARGE' } });
  });
});
