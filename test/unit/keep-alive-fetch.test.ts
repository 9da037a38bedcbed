import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeepAliveFetch, type KeepAliveFetch } from '../../lib/keep-alive.fetch.js';
import { fetchText } from '../../adapters/http-client.kit.js';
import { PlatformUnavailableError } from '../../adapters/platform.errors.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  socket: Socket;
}

const cleanup: (() => void | Promise<void>)[] = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function serve(handler: (seen: Seen, res: ServerResponse) => void): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), socket: req.socket };
      seen.push(entry);
      handler(entry, res);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

function keepAliveFetch(options?: Parameters<typeof createKeepAliveFetch>[0]): KeepAliveFetch {
  const fetch = createKeepAliveFetch(options);
  cleanup.push(() => fetch.close());
  return fetch;
}

const FETCH_OPTS = { system: 'CHONGQING', displayName: '渝快办', label: 'POST /api/v1/cases' };

describe('keep-alive fetch', () => {
  it('sends method, headers and a UTF-8 body, and answers with status, headers and the whole body', async () => {
    const { url, seen } = await serve((_, res) => {
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.setHeader('retry-after', '7');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(201);
      res.end(JSON.stringify({ code: '0', msg: '成功' }));
    });
    const response = await keepAliveFetch()(`${url}/api/v1/cases?page=1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'x-ykb-nonce': 'abc123xyz' },
      body: '{"sxmc":"律师事务所设立许可"}',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('Retry-After')).toBe('7');
    expect(response.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(response.headers.get('x-absent')).toBeNull();
    expect(JSON.parse(await response.text())).toEqual({ code: '0', msg: '成功' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/v1/cases?page=1', body: '{"sxmc":"律师事务所设立许可"}' });
    expect(seen[0]!.headers).toMatchObject({ 'content-type': 'application/json', 'x-ykb-nonce': 'abc123xyz', 'content-length': String(Buffer.byteLength('{"sxmc":"律师事务所设立许可"}')) });
  });

  it('sends consecutive requests over one connection', async () => {
    const { url, seen } = await serve((_, res) => res.end('ok'));
    const fetch = keepAliveFetch();
    for (let i = 0; i < 3; i++) expect(await (await fetch(`${url}/x`, {})).text()).toBe('ok');
    expect(new Set(seen.map((entry) => entry.socket)).size).toBe(1);
  });

  it('sends a request again on a fresh connection when a reused one was closed before any answer', async () => {
    // The server drops a kept-alive connection the moment a second request arrives on it, unread: a server closing an idle connection.
    const { url, seen } = await serve((entry, res) => {
      if (seen.filter((other) => other.socket === entry.socket).length > 1) entry.socket.destroy();
      else res.end(entry.body);
    });
    const fetch = keepAliveFetch();
    expect(await (await fetch(`${url}/x`, { method: 'POST', body: 'first' })).text()).toBe('first');
    expect(await (await fetch(`${url}/x`, { method: 'POST', body: 'again' })).text()).toBe('again');
    expect(seen.map((entry) => entry.body)).toEqual(['first', 'again', 'again']);
    expect(seen[2]!.socket).not.toBe(seen[0]!.socket);
  });

  it('closes idle connections after idleMs, before a server would', async () => {
    const { url, seen } = await serve((_, res) => res.end('ok'));
    const fetch = keepAliveFetch({ idleMs: 100 });
    await (await fetch(`${url}/x`, {})).text();
    const closed = new Promise<void>((resolve) => seen[0]!.socket.once('close', () => resolve()));
    await closed;
    await (await fetch(`${url}/x`, {})).text();
    expect(seen[1]!.socket).not.toBe(seen[0]!.socket);
  });

  it('does not follow redirects', async () => {
    const { url, seen } = await serve((_, res) => {
      res.writeHead(302, { location: '/elsewhere' });
      res.end();
    });
    const response = await keepAliveFetch()(`${url}/x`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(seen).toHaveLength(1);
  });

  it('rejects with the timeout of its signal, which the clients report as a timeout', async () => {
    const { url } = await serve(() => undefined);
    const error = await fetchText(`${url}/hang`, { method: 'POST', body: '{}' }, { ...FETCH_OPTS, fetch: keepAliveFetch(), timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect((error as Error).message).toContain('超时（50 ms）');
  });

  it('rejects a network failure as fetch does, with the cause attached', async () => {
    const { url, server } = await serve(() => undefined);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await keepAliveFetch()(`${url}/x`, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe('fetch failed');
    expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('rejects a connection dropped mid-answer instead of answering with part of the body', async () => {
    const { url } = await serve((entry, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"code":"0"');
      setTimeout(() => entry.socket.destroy(), 10);
    });
    const error = await keepAliveFetch()(`${url}/x`, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
  });
});
