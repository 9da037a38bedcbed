import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../gateway/gateway.server.js';
import { composeSupergraph, readSupergraphConfig } from '../../gateway/supergraph.js';
import { supergraphHash, SupergraphInvalidError, SupergraphUnavailableError } from '../../gateway/supergraph.delivery.js';
import { createTokenVerifier } from '../../lib/auth/access-token.js';
import { SUBGRAPH_NAMES } from '../../lib/config.js';
import type { RunningServer } from '../../lib/http-server.js';
import { freePort } from '../../lib/local-redis.js';
import { createLogger } from '../../lib/logger.js';
import { startSubgraph } from '../../lib/subgraph-server.js';
import { startServiceProcess } from '../support/process.kit.js';
import { DEFAULT_CALLER, startTestStack, testLogger, type GraphQLResult, type TestStack } from '../support/stack.js';
import { until } from '../support/until.kit.js';

const POLL_MS = 100;
const committed = readFileSync('supergraph.graphql', 'utf8');

function capture() {
  const lines: { level: number; msg: string; code?: string }[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) });
  return { lines, logger: createLogger({ level: 'info', service: 'test' }, sink) };
}

describe('supergraph delivery: polled, checked, swapped in without a restart', () => {
  let stack: TestStack;
  let dir: string;
  const extra: RunningServer[] = [];
  const gateways: RunningGateway[] = [];
  /** A subgraph the test composes in and out: `Window.<field>` answered by a subgraph of its own. */
  const noteSubgraphs: Record<string, { url: string; sdl: string }> = {};

  const compose = (...names: string[]) =>
    composeSupergraph([...readSupergraphConfig('supergraph.yaml'), ...names.map((name) => ({ name, url: `${noteSubgraphs[name]!.url}/graphql`, sdl: noteSubgraphs[name]!.sdl }))]);

  const startNoteSubgraph = async (name: string) => {
    const sdl = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])\n\ntype Window @key(fields: "id") {\n  id: ID!\n  note: String\n}\n`;
    const schemaFile = join(dir, `${name}.graphql`);
    writeFileSync(schemaFile, sdl);
    const server = await startSubgraph(
      {
        name,
        schemaFile: pathToFileURL(schemaFile),
        resolvers: { Window: { __resolveReference: (reference: { id: string }) => reference, note: (window: { id: string }) => `${name}: ${window.id}` } },
        context: async (_request, caller) => ({ caller }),
      },
      { host: '127.0.0.1', port: 0, logger: testLogger, tokens: createTokenVerifier(stack.config.auth), gatewayKeys: stack.config.gatewayKeys },
    );
    extra.push(server);
    noteSubgraphs[name] = { url: server.url, sdl };
  };

  const startPolled = async (location: string, logger = testLogger) => {
    const gateway = await startGateway({
      ...stack.gatewayOptions,
      supergraphSdl: undefined,
      supergraph: { location, pollMs: POLL_MS, timeoutMs: 1_000 },
      logger,
      subgraphUrls: Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, `${stack.subgraphs[name].url}/graphql`])),
      subgraphTimeoutMs: 5_000,
    });
    gateways.push(gateway);
    return gateway;
  };

  const ask = async <T>(gateway: RunningGateway, query: string) => {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.token(DEFAULT_CALLER)}` },
      body: JSON.stringify({ query }),
    });
    return (await response.json()) as GraphQLResult<T>;
  };
  const note = (gateway: RunningGateway) => ask<{ window: { id: string; note: string | null } }>(gateway, '{ window(id: "W-500000-01") { id note } }');
  const ready = async (gateway: RunningGateway) => (await (await fetch(`${gateway.url}/ready`)).json()) as { supergraph: { hash: string } };
  const publish = (path: string, sdl: string) => {
    // As a deployment publishes: written beside, renamed over, so no reader sees half a file.
    writeFileSync(`${path}.next`, sdl);
    renameSync(`${path}.next`, path);
  };

  beforeAll(async () => {
    stack = await startTestStack({ workers: false });
    dir = mkdtempSync(join(tmpdir(), 'tongban-supergraph-'));
    await startNoteSubgraph('notes');
    await startNoteSubgraph('remarks');
  });

  afterAll(async () => {
    for (const gateway of gateways) await gateway.close();
    for (const server of extra) await server.close();
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a field a recomposed file adds within the poll, every request in flight during the swap answered', async () => {
    const path = join(dir, 'file-swap.graphql');
    publish(path, committed);
    const gateway = await startPolled(path);
    expect(gateway.supergraphHash()).toBe(supergraphHash(committed));
    expect((await note(gateway)).errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const withNotes = compose('notes');
    let swapping = true;
    const answers: GraphQLResult[] = [];
    const load = Array.from({ length: 6 }, async () => {
      while (swapping) answers.push(await ask(gateway, '{ windows(region: CHONGQING) { id name } }'));
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const published = Date.now();
    publish(path, withNotes);
    const served = await until('the new field', async () => {
      const answer = await note(gateway);
      return answer.data?.window?.note ? answer : undefined;
    });
    const tookMs = Date.now() - published;
    await new Promise((resolve) => setTimeout(resolve, 150));
    swapping = false;
    await Promise.all(load);

    expect(served.data).toEqual({ window: { id: 'W-500000-01', note: 'notes: W-500000-01' } });
    expect(tookMs).toBeLessThan(POLL_MS * 20);
    expect(answers.length).toBeGreaterThan(20);
    expect(answers.filter((answer) => answer.errors !== undefined || !answer.data?.windows)).toEqual([]);
    expect(gateway.supergraphHash()).toBe(supergraphHash(withNotes));
    expect((await ready(gateway)).supergraph.hash).toBe(supergraphHash(withNotes));
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toContain(`tongban_supergraph_info{hash="${supergraphHash(withNotes)}"} 1`);
    expect(metrics).not.toContain(`tongban_supergraph_info{hash="${supergraphHash(committed)}"}`);
    expect(metrics).toMatch(/tongban_supergraph_updates_total\{result="applied"\} 1\b/);
  });

  it('plans again after a swap: a query planned for one subgraph goes to the one the new supergraph names', async () => {
    const path = join(dir, 'plan-swap.graphql');
    publish(path, compose('notes'));
    const gateway = await startPolled(path);
    // Planned and cached against `notes`, then again and again from the cache.
    for (let i = 0; i < 3; i++) expect((await note(gateway)).data?.window.note).toBe('notes: W-500000-01');

    publish(path, compose('remarks'));
    await until('the remarks subgraph', async () => ((await note(gateway)).data?.window.note === 'remarks: W-500000-01' ? true : undefined));

    publish(path, committed);
    await until('the field gone', async () => ((await note(gateway)).errors?.[0]?.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' ? true : undefined));
    expect((await ask(gateway, '{ windows(region: SICHUAN) { id } }')).errors).toBeUndefined();
  });

  describe('from an http(s) URL', () => {
    let origin: Server;
    let originUrl: string;
    const served = { body: committed, status: 200, requests: 0, notModified: 0 };

    beforeAll(async () => {
      origin = createServer((request, response) => {
        served.requests++;
        const etag = `"${supergraphHash(served.body).slice(0, 16)}"`;
        if (served.status !== 200) return void response.writeHead(served.status).end('upstream broke');
        if (request.headers['if-none-match'] === etag) {
          served.notModified++;
          return void response.writeHead(304, { etag }).end();
        }
        response.writeHead(200, { 'content-type': 'text/plain', etag }).end(served.body);
      });
      await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
      originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/supergraph.graphql`;
    });

    afterAll(async () => {
      origin.closeAllConnections();
      await new Promise((resolve) => origin.close(resolve));
    });

    it('asks with the ETag, and swaps in what the server publishes', async () => {
      const gateway = await startPolled(originUrl);
      await until('a few unchanged polls', async () => (served.notModified >= 3 ? true : undefined));
      served.body = compose('notes');
      await until('the new field', async () => ((await note(gateway)).data?.window.note === 'notes: W-500000-01' ? true : undefined));
      expect(gateway.supergraphHash()).toBe(supergraphHash(served.body));
    });

    it('keeps the served supergraph through an HTTP 500 and an unreachable server, and logs each refusal', async () => {
      const { lines, logger } = capture();
      served.body = committed;
      served.status = 200;
      const gateway = await startPolled(originUrl, logger);
      const hash = gateway.supergraphHash();

      served.status = 500;
      await until('the 500 refused', async () => (lines.some((line) => line.code === 'SUPERGRAPH.UNAVAILABLE' && line.level === 50) ? true : undefined));
      expect((await ask(gateway, '{ windows(region: SICHUAN) { id } }')).errors).toBeUndefined();
      expect(gateway.supergraphHash()).toBe(hash);

      // A server that takes the connection and never answers: the read's deadline ends it.
      const silent = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const silentGateway = await startGateway({
        ...stack.gatewayOptions,
        supergraphSdl: undefined,
        supergraph: { location: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/supergraph.graphql`, pollMs: POLL_MS, timeoutMs: 300 },
        logger,
        subgraphUrls: Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, `${stack.subgraphs[name].url}/graphql`])),
        subgraphTimeoutMs: 5_000,
      }).catch((error: unknown) => error);
      expect(silentGateway).toBeInstanceOf(SupergraphUnavailableError);
      expect((silentGateway as Error).message).toMatch(/no answer within 300 ms/);
      silent.closeAllConnections();
      silent.close();

      const before = lines.length;
      origin.closeAllConnections();
      await new Promise((resolve) => origin.close(resolve));
      await until('the unreachable server refused', async () => (lines.slice(before).some((line) => line.code === 'SUPERGRAPH.UNAVAILABLE') ? true : undefined));
      expect((await ask(gateway, '{ windows(region: SICHUAN) { id } }')).errors).toBeUndefined();
      expect(gateway.supergraphHash()).toBe(hash);
      served.status = 200;
      await new Promise<void>((resolve) => origin.listen(Number(new URL(originUrl).port), '127.0.0.1', resolve));
    });

    it('does not start on a URL that answers 500 or does not answer', async () => {
      served.status = 500;
      await expect(startPolled(originUrl)).rejects.toThrow(/could not be read: HTTP 500/);
      served.status = 200;
      await expect(startPolled(`http://127.0.0.1:${await freePort()}/supergraph.graphql`)).rejects.toBeInstanceOf(SupergraphUnavailableError);
    });
  });

  describe('refuses a bad supergraph and keeps the served one', () => {
    const broken: [string, () => string, string][] = [
      ['a syntax error', () => committed.replace('type Query', 'type Query {'), 'SUPERGRAPH.INVALID'],
      ['half a file', () => committed.slice(0, committed.length / 2), 'SUPERGRAPH.INVALID'],
      ['an invalid composition: a field joined to a graph that does not exist', () => committed.replace('@join__field(graph: WINDOWS', '@join__field(graph: NOWHERE'), 'SUPERGRAPH.INVALID'],
      ['an invalid composition: a key naming a field the type lacks', () => committed.replace('@join__type(graph: WINDOWS, key: "id")', '@join__type(graph: WINDOWS, key: "nope")'), 'SUPERGRAPH.INVALID'],
      ['not a supergraph at all', () => 'type Query { hello: String }', 'SUPERGRAPH.INVALID'],
      ['a new subgraph that does not answer', () => compose('notes').replace(noteSubgraphs.notes!.url, 'http://127.0.0.1:9'), 'SUPERGRAPH.SUBGRAPH_DOWN'],
    ];

    it.each(broken)('%s', async (_name, make, code) => {
      const { lines, logger } = capture();
      const path = join(dir, `bad-${code}-${Math.random().toString(36).slice(2)}.graphql`);
      publish(path, committed);
      const gateway = await startPolled(path, logger);
      const bad = make();
      expect(bad).not.toBe(committed);
      publish(path, bad);
      const refusal = await until('the refusal', async () => lines.find((line) => line.level === 50 && line.code === code));
      expect(refusal.msg).toBe('new supergraph refused; the served one stays');
      expect(gateway.supergraphHash()).toBe(supergraphHash(committed));
      expect((await ask(gateway, '{ windows(region: CHONGQING) { id } }')).errors).toBeUndefined();
      expect((await note(gateway)).errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      // The same bad text is not checked and logged again at every poll; a fixed one is taken.
      await new Promise((resolve) => setTimeout(resolve, POLL_MS * 4));
      if (code === 'SUPERGRAPH.INVALID') expect(lines.filter((line) => line.code === code)).toHaveLength(1);
      const fixed = compose('notes');
      publish(path, fixed);
      await until('the fixed supergraph', async () => (gateway.supergraphHash() === supergraphHash(fixed) ? true : undefined));
      expect((await note(gateway)).data?.window.note).toBe('notes: W-500000-01');
    });

    it('does not start on one', async () => {
      const path = join(dir, 'bad-start.graphql');
      publish(path, committed.replace('type Query', 'type Query {'));
      await expect(startPolled(path)).rejects.toBeInstanceOf(SupergraphInvalidError);
      await expect(startPolled(join(dir, 'missing.graphql'))).rejects.toThrow(/could not be read: ENOENT/);
      // `npm run start:gateway` says why and exits, rather than serving nothing.
      const gateway = startServiceProcess('gateway/main.ts', { SUPERGRAPH: path, GATEWAY_PORT: '0', REDIS_URL: stack.redisUrl, LOG_LEVEL: 'info' });
      expect(await gateway.exited).toEqual({ code: 1, signal: null });
      const line = JSON.parse(gateway.output().split('\n').find((text) => text.includes('gateway did not start'))!) as { code: string; err: { message: string } };
      expect(line.code).toBe('SUPERGRAPH.INVALID');
      expect(line.err.message).toMatch(/^supergraph is invalid: Syntax Error/);
    });
  });
});
