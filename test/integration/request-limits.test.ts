import { connect } from 'node:net';
import { Supergraph } from '@apollo/federation-internals';
import fc from 'fast-check';
import { getIntrospectionQuery, Kind, parse, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../../gateway/gateway.server.js';
import { GATEWAY_SIGNATURE_HEADER, signGatewayRequest } from '../../lib/auth/gateway-signature.js';
import { listSizesOf, measureOperation } from '../../lib/graphql-limits.js';
import { startHttpServer } from '../../lib/http-server.js';
import { createLogger } from '../../lib/logger.js';
import { application, RECEIVE, ROUTES } from '../support/process.kit.js';
import { DEFAULT_CALLER, startTestStack, type TestStack } from '../support/stack.js';
import { asGateway } from '../support/subgraph-request.js';

type Answer = { status: number; headers: Headers; body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } };

/** What an attacker or a broken client sends, and how the gateway answers before and after GraphQL. */
describe('request limits', () => {
  let stack: TestStack;
  let authorization: string;
  let schema: GraphQLSchema;
  const SEEDED = 12;

  const post = async (body: unknown, headers: Record<string, string> = {}, url = `${stack.gateway.url}/graphql`): Promise<Answer> => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization, ...headers }, body: JSON.stringify(body) });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
  };
  const code = (answer: Answer) => answer.body.errors?.[0]?.extensions?.code;

  beforeAll(async () => {
    stack = await startTestStack({ now: () => new Date('2025-11-24T10:00:00+08:00') });
    authorization = `Bearer ${await stack.token(DEFAULT_CALLER)}`;
    schema = Supergraph.build(stack.gatewayOptions.supergraphSdl).apiSchema().toGraphQLJSSchema();
    const route = ROUTES.find((r) => r.windowId === DEFAULT_CALLER.windowId)!;
    for (let i = 0; i < SEEDED; i++) {
      const received = await stack.query(RECEIVE, { input: application(route.item, route.windowId, `limits-${i}`) });
      expect(received.errors).toBeUndefined();
    }
  });

  afterAll(async () => {
    await stack?.close();
  });

  describe('before the body is read', () => {
    /** Sends the head and the first bytes of a body it never finishes, and reads what comes back. */
    const partial = (head: string, firstBytes: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(stack.gateway.port, '127.0.0.1');
        let answer = '';
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error(`no answer while the body was still coming; got ${JSON.stringify(answer)}`));
        }, 3_000);
        socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
        socket.on('close', () => {
          clearTimeout(timer);
          resolve(answer);
        });
        socket.on('error', reject);
        socket.write(head + firstBytes);
      });

    it('answers a caller without a valid token from the headers alone, without waiting for its 960 KB body', async () => {
      const length = 960 * 1024;
      const answer = await partial(
        `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`,
        `{"query":"{ ${'a '.repeat(500)}`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer).toMatch(/\r\nwww-authenticate: Bearer realm="tongban"\r\n/i);
      expect(answer).toMatch(/\r\nconnection: close\r\n/i);
      expect(answer).toContain('"code":"AUTH.UNAUTHENTICATED"');
    });

    it('drops a client that sends its headers or its body too slowly', async () => {
      const server = await startHttpServer({ host: '127.0.0.1', port: 0, logger: createLogger({ level: 'silent', service: 'test' }), headersTimeoutMs: 500, requestTimeoutMs: 1_500 });
      const drip = (first: string, more: string) =>
        new Promise<{ answer: string; ms: number }>((resolve) => {
          const started = Date.now();
          const socket = connect(server.port, '127.0.0.1');
          socket.write(first);
          const timer = setInterval(() => socket.write(more), 100);
          let answer = '';
          socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
          const done = () => (clearInterval(timer), resolve({ answer, ms: Date.now() - started }));
          socket.on('close', done);
          socket.on('error', done);
        });
      try {
        const headers = await drip('POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\n', 'x-a: b\r\n');
        expect(headers.answer).toMatch(/^HTTP\/1\.1 408 /);
        expect(headers.ms).toBeLessThan(5_000);
        const body = await drip('POST /x HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 100000\r\n\r\n', 'a');
        expect(body.answer).toMatch(/^HTTP\/1\.1 408 /);
        expect(body.ms).toBeLessThan(6_000);
      } finally {
        await server.close();
      }
    });

    it('refuses a declared body over 1 MB at once', async () => {
      const answer = await partial(
        `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n${authorization ? `authorization: ${authorization}\r\n` : ''}content-length: ${2 * 1024 * 1024}\r\n\r\n`,
        '{"query":',
      );
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toContain('INPUT.PAYLOAD_TOO_LARGE');
    });

    it('reads the token scheme case-insensitively (RFC 7235)', async () => {
      const token = authorization.slice('Bearer '.length);
      for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
        const answer = await post({ query: '{ isWorkingDay(date: "2025-11-24") }' }, { authorization: `${scheme} ${token}` });
        expect([scheme, answer.status, answer.body.data]).toEqual([scheme, 200, { isWorkingDay: true }]);
      }
    });
  });

  describe('limits computed in time linear in the document', () => {
    const chain = (levels: number) => {
      const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
      return `query { ...F0 } ${fragments.join(' ')} fragment F${levels} on Query { isWorkingDay(date: "2025-11-24") }`;
    };

    it('refuses a 22-level fragment chain (2^22 spreads) at once', async () => {
      for (const levels of [20, 22, 40]) {
        const started = performance.now();
        const answer = await post({ query: chain(levels) });
        const ms = performance.now() - started;
        console.info(`[limits] fragment chain of ${levels} levels (${chain(levels).length} chars) refused in ${ms.toFixed(1)} ms`);
        expect([levels, answer.status, code(answer)]).toEqual([levels, 400, 'LIMIT.COST']);
        // 22 levels took 9 s before the rules memoised fragments, doubling per level.
        expect(ms).toBeLessThan(1_000);
      }
    });

    it('refuses depth, aliases and directives, fragments included', async () => {
      const deep = `{ case(businessNo: "x") { ...A } } fragment A on Case { notices { case { ...B } } } fragment B on Case { notices { case { ...C } } } fragment C on Case { notices { case { ...D } } } fragment D on Case { notices { case { ...E } } } fragment E on Case { notices { case { ...G } } } fragment G on Case { notices { case { stage } } }`;
      expect(code(await post({ query: deep }))).toBe('LIMIT.DEPTH');
      const aliases = `{ ...A ...B } fragment A on Query { ${Array.from({ length: 11 }, (_, i) => `a${i}: isWorkingDay(date: "2025-11-24")`).join(' ')} } fragment B on Query { ${Array.from({ length: 11 }, (_, i) => `b${i}: isWorkingDay(date: "2025-11-24")`).join(' ')} }`;
      expect(code(await post({ query: aliases }))).toBe('LIMIT.ALIASES');
      const directives = `{ ${Array.from({ length: 31 }, () => '__typename @include(if: true)').join(' ')} }`;
      expect(code(await post({ query: directives }))).toBe('LIMIT.DIRECTIVES');
    });
  });

  describe('cost with the variables sent', () => {
    const CASES = 'query ($n: Int) { cases(first: $n) { edges { node { timeline { type at actor data } notices { case { timeline { type at } } } } } } }';

    it('counts a page size sent as a variable, the declared default when none is, and refuses sizes outside 1–100', async () => {
      const operation = (query: string) => parse(query).definitions[0] as OperationDefinitionNode;
      const cost = (query: string, variables?: Record<string, unknown>) =>
        measureOperation(schema, parse(query), operation(query), variables, listSizesOf(stack.gatewayOptions.supergraphSdl)).cost;
      const ids = 'query ($n: Int) { cases(first: $n) { edges { node { businessNo } } } }';
      expect(cost(ids, { n: 100 })).toBe(1 + 1 + 100 * 2);
      expect(cost(ids, { n: 10 })).toBe(1 + 1 + 10 * 2);
      // No value: the field's default page (20).
      expect(cost(ids)).toBe(1 + 1 + 20 * 2);
      expect(cost('query ($n: Int = 50) { cases(first: $n) { edges { node { businessNo } } } }')).toBe(1 + 1 + 50 * 2);
      expect(cost('query ($skip: Boolean!) { cases(first: 100) { edges @skip(if: $skip) { node { businessNo } } } }', { skip: true })).toBe(1);

      // Counted as 10 before, whatever $n was; 100 pages of this exceed the ceiling, 40 do not.
      expect(code(await post({ query: CASES, variables: { n: 100 } }))).toBe('LIMIT.COST');
      expect((await post({ query: CASES, variables: { n: 40 } })).body.errors).toBeUndefined();
      for (const n of [0, -10_000_000, 101]) {
        const answer = await post({ query: ids, variables: { n } });
        expect([n, answer.status, code(answer)]).toEqual([n, 400, 'INPUT.INVALID_PAGE_SIZE']);
        const literal = await post({ query: `{ cases(first: ${n}) { totalCount } }` });
        expect([n, literal.status, code(literal)]).toEqual([n, 400, 'INPUT.INVALID_PAGE_SIZE']);
      }
    });

    it('never counts fewer fields than an answer holds', async () => {
      const QUERY = `query ($n: Int, $withTimeline: Boolean!, $withWindow: Boolean!, $region: Region) {
        cases(first: $n) {
          totalCount
          edges { cursor node { businessNo stage applicant { name } clock { status }
            timeline @include(if: $withTimeline) { type at actor }
            notices { id kind }
            receivingWindow @include(if: $withWindow) { id name hours { day ranges } } } }
        }
        windows(region: $region) { id name }
        alerts { id }
      }`;
      const document = parse(QUERY);
      const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
      const sizes = listSizesOf(stack.gatewayOptions.supergraphSdl);
      const fields = (value: unknown): number => {
        if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + fields(item), 0);
        if (value === null || typeof value !== 'object') return 0;
        return Object.values(value).reduce((sum: number, inner) => sum + 1 + fields(inner), 0);
      };
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            n: fc.integer({ min: 1, max: 100 }),
            withTimeline: fc.boolean(),
            withWindow: fc.boolean(),
            region: fc.constantFrom('CHONGQING', 'SICHUAN', null),
          }),
          async (variables) => {
            const answer = await post({ query: QUERY, variables });
            expect(answer.body.errors).toBeUndefined();
            const held = fields(answer.body.data);
            const { cost } = measureOperation(schema, document, operation, variables, sizes);
            expect(held).toBeGreaterThan(Math.min(variables.n, SEEDED));
            expect(cost).toBeGreaterThanOrEqual(held);
          },
        ),
        { numRuns: 15 },
      );
    });
  });

  describe('mutations', () => {
    it('refuses a request with more than 5 mutation fields before any runs, and spends the budget per field', async () => {
      const route = ROUTES.find((r) => r.windowId === DEFAULT_CALLER.windowId)!;
      const before = (await stack.query<{ cases: { totalCount: number } }>('{ cases { totalCount } }')).data!.cases.totalCount;
      const flood = `mutation ($input: ReceiveApplicationInput!) { ${Array.from({ length: 20 }, (_, i) => `r${i}: receiveApplication(input: $input) { businessNo }`).join(' ')} }`;
      const refused = await post({ query: flood, variables: { input: application(route.item, route.windowId, 'flood') } });
      expect([refused.status, code(refused)]).toEqual([400, 'LIMIT.MUTATIONS']);
      expect((await stack.query<{ cases: { totalCount: number } }>('{ cases { totalCount } }')).data!.cases.totalCount).toBe(before);

      const gateway = await startGateway({ ...stack.gatewayOptions, mutationsPerMinute: 6, subgraphUrls: stack.gateway.subgraphs, subgraphTimeoutMs: 5000 });
      try {
        const headers = { authorization: `Bearer ${await stack.token({ ...DEFAULT_CALLER, subject: 'staff-cq-budget' })}` };
        const url = `${gateway.url}/graphql`;
        const five = `mutation { ${Array.from({ length: 5 }, (_, i) => `n${i}: notifyApplicantForPickup(businessNo: "TB-NONE-${i}") { stage }`).join(' ')} }`;
        // The first write fails (a non-null field), which ends the serial execution; the budget was spent for all five.
        const first = await post({ query: five }, headers, url);
        expect([first.status, code(first)]).toEqual([200, 'CASE.NOT_FOUND']);
        const second = await post({ query: 'mutation { a: notifyApplicantForPickup(businessNo: "TB-NONE") { stage } b: notifyApplicantForPickup(businessNo: "TB-NONE-2") { stage } }' }, headers, url);
        expect([second.status, code(second)]).toEqual([429, 'LIMIT.RATE']);
      } finally {
        await gateway.close();
      }
    });
  });

  describe('introspection', () => {
    it('is limited like any other operation in development, while GraphiQL\'s own query still loads', async () => {
      const flood = `{ ${Array.from({ length: 990 }, (_, i) => `t${i}: __schema { queryType { name } }`).join(' ')} }`;
      expect((await post({ query: flood })).body.errors?.[0]?.message).toMatch(/more th\w+ 3000 tokens/);
      const aliases = `{ ${Array.from({ length: 25 }, (_, i) => `t${i}: __schema { queryType { name } }`).join(' ')} }`;
      expect(code(await post({ query: aliases }))).toBe('LIMIT.ALIASES');
      const nested = `{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }`;
      const refused = await post({ query: nested });
      // graphql-js's own rule refuses this before the cost does.
      expect(refused.body.errors?.[0]?.message).toBe('Maximum introspection depth exceeded');
      const graphiql = await post({ query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, schemaDescription: true, directiveIsRepeatable: true, specifiedByUrl: true }) });
      expect([graphiql.status, graphiql.body.errors]).toEqual([200, undefined]);
    });
  });

  describe('client mistakes answered with 4xx, never 5xx', () => {
    it('refuses an unknown or missing operation name', async () => {
      const two = 'query A { isWorkingDay(date: "2025-11-24") } query B { __typename }';
      for (const body of [{ query: two, operationName: 'C' }, { query: two }, { query: '{ __typename }', operationName: 'X' }]) {
        const answer = await post(body);
        expect([answer.status, code(answer)]).toEqual([400, 'OPERATION_RESOLUTION_FAILURE']);
      }
      const production = await startGateway({ ...stack.gatewayOptions, production: true, subgraphUrls: stack.gateway.subgraphs, subgraphTimeoutMs: 5000 });
      try {
        const answer = await post({ query: two, operationName: 'C' }, {}, `${production.url}/graphql`);
        expect([answer.status, code(answer)]).toEqual([400, 'OPERATION_RESOLUTION_FAILURE']);
      } finally {
        await production.close();
      }
    });

    it('refuses variables nested deeper than 64 levels, used or not', async () => {
      for (const depth of [65, 10_000, 200_000]) {
        for (const query of ['query ($a: [String]) { __typename a: isWorkingDay(date: "2025-11-24") }', '{ __typename }']) {
          const body = `{"query":${JSON.stringify(query)},"variables":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
          const response = await fetch(`${stack.gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
          expect([depth, response.status, ((await response.json()) as Answer['body']).errors?.[0]?.extensions?.code]).toEqual([depth, 400, 'INPUT.TOO_DEEP']);
        }
      }
      // Brackets inside strings are text, not nesting.
      expect((await post({ query: '{ __typename }', variables: { s: '['.repeat(1000) } })).status).toBe(200);
    });

    it('refuses a persisted query of an unknown version', async () => {
      const answer = await post({ query: '{ __typename }', extensions: { persistedQuery: { version: 2, sha256Hash: 'a'.repeat(64) } } });
      expect([answer.status, code(answer)]).toEqual([400, 'PERSISTED_QUERY_VERSION_UNSUPPORTED']);
    });

    it('refuses a malformed percent-escape in any route', async () => {
      for (const path of ['/notices/%E0%A4%A/x', '/notices/TB%zz/N1', '/ops/queues/api/queues/%E0%A4%A', '/graphiql/assets/%']) {
        const response = await fetch(`${stack.gateway.url}${path}`, { headers: { authorization } });
        const body = (await response.json()) as { error?: { code?: string } };
        expect([path, response.status < 500, body.error?.code]).toEqual([path, true, expect.stringMatching(/^(HTTP\.MALFORMED_PATH|AUTH\.FORBIDDEN|HTTP\.NOT_FOUND)$/)]);
      }
      const notice = await fetch(`${stack.gateway.url}/notices/%E0%A4%A/x`, { headers: { authorization } });
      expect([notice.status, ((await notice.json()) as { error: { code: string } }).error.code]).toEqual([400, 'HTTP.MALFORMED_PATH']);
    });

    it('refuses non-JSON writes to the ops dashboard', async () => {
      const ops = `Bearer ${await stack.token({ subject: 'ops-1', role: 'OPS', region: 'CHONGQING', windowId: null })}`;
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const response = await fetch(`${stack.gateway.url}/ops/queues/api/queues/pause`, { method: 'PUT', headers: { authorization: ops, 'content-type': type }, body: 'x=1' });
        expect([type, response.status]).toEqual([type, 415]);
      }
      const untyped = await fetch(`${stack.gateway.url}/ops/queues/api/queues/pause`, { method: 'PUT', headers: { authorization: ops }, body: new Blob(['{}']) });
      expect(untyped.status).toBe(415);
    });
  });

  describe('subgraphs answer the gateway only', () => {
    const ENTITIES = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Window { id } } }';
    const raw = (url: string, body: string, headers: Record<string, string>) =>
      fetch(url, { method: 'POST', headers, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as Answer['body'] }));

    it('refuses a tampered body, a stale signature, an unknown key and another caller\'s token', async () => {
      const url = `${stack.subgraphs.windows.url}/graphql`;
      const key = stack.config.gatewayKeys[0]!;
      const body = JSON.stringify({ query: ENTITIES, variables: { r: [{ __typename: 'Window', id: 'W-500000-01' }] } });
      expect((await raw(url, body, asGateway(key, url, body, authorization))).body).toEqual({ data: { _entities: [{ id: 'W-500000-01' }] } });

      const signed = asGateway(key, url, body, authorization);
      const tampered = await raw(url, body.replace('W-500000-01', 'W-510000-01'), signed);
      const other = `Bearer ${await stack.token({ subject: 'ops-1', role: 'OPS', region: 'CHONGQING', windowId: null })}`;
      const swapped = await raw(url, body, { ...signed, authorization: other });
      const stale = await raw(url, body, {
        ...signed,
        [GATEWAY_SIGNATURE_HEADER]: signGatewayRequest(key, { method: 'POST', target: '/graphql', body, authorization }, Date.now() - 120_000),
      });
      const unknown = await raw(url, body, {
        ...signed,
        [GATEWAY_SIGNATURE_HEADER]: signGatewayRequest({ id: 'stolen', secret: 'x'.repeat(32) }, { method: 'POST', target: '/graphql', body, authorization }),
      });
      for (const [label, answer] of Object.entries({ tampered, swapped, stale, unknown })) {
        expect([label, answer.status, answer.body.errors?.[0]?.extensions?.code]).toEqual([label, 401, 'AUTH.GATEWAY_SIGNATURE']);
      }
      const notices = await fetch(`${stack.subgraphs.cases.url}/notices/TB1/N1`, { headers: { authorization } });
      expect(notices.status).toBe(401);
    });

    it('accepts a key being rotated in, and the old one until it is dropped', async () => {
      const rotated = await startTestStack({ env: { GATEWAY_SIGNING_KEYS: `k2:${'n'.repeat(32)},k1:${'o'.repeat(32)}` } });
      try {
        const url = `${rotated.subgraphs.windows.url}/graphql`;
        const body = JSON.stringify({ query: '{ __typename }' });
        const token = `Bearer ${await rotated.token(DEFAULT_CALLER)}`;
        for (const key of rotated.config.gatewayKeys) expect((await raw(url, body, asGateway(key, url, body, token))).status).toBe(200);
        expect((await rotated.query('{ isWorkingDay(date: "2025-11-24") windows(region: SICHUAN) { id } }')).errors).toBeUndefined();
      } finally {
        await rotated.close();
      }
    });

    it('keeps its own token, alias, depth and mutation limits, and serves no SDL', async () => {
      const url = `${stack.subgraphs.cases.url}/graphql`;
      const key = stack.config.gatewayKeys[0]!;
      const send = (query: string) => {
        const body = JSON.stringify({ query });
        return raw(url, body, asGateway(key, url, body, authorization));
      };
      expect((await send(`{ ${Array.from({ length: 30 }, (_, i) => `a${i}: isWorkingDay(date: "2025-11-24")`).join(' ')} }`)).body.errors?.[0]?.extensions?.code).toBe('LIMIT.ALIASES');
      expect((await send(`{ ${'isWorkingDay(date: "2025-11-24") '.repeat(800)} }`)).body.errors?.[0]?.message).toMatch(/more th\w+ 3000 tokens/);
      const deep = `{ case(businessNo: "x") { ${'notices { case { '.repeat(7)} stage ${'} } '.repeat(7)} } }`;
      expect((await send(deep)).body.errors?.[0]?.extensions?.code).toBe('LIMIT.DEPTH');
      const writes = `mutation { ${Array.from({ length: 6 }, (_, i) => `n${i}: notifyApplicantForPickup(businessNo: "TB-NONE-${i}") { stage }`).join(' ')} }`;
      expect((await send(writes)).body.errors?.[0]?.extensions?.code).toBe('LIMIT.MUTATIONS');
      expect((await send('{ _service { sdl } }')).body.errors?.[0]?.extensions?.code).toBe('FEDERATION.SDL_NOT_SERVED');
    });
  });
});
