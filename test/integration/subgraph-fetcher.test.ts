import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubgraphFetcher } from '../../gateway/subgraph.fetcher.js';

describe('the gateway’s subgraph fetcher', () => {
  let server: Server;
  let url: string;
  let connections = 0;
  const fetcher = createSubgraphFetcher({ timeoutMs: 300 });

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.url === '/slow') return;
        // Closes a kept-alive connection the moment a second request arrives on it, unread: a server dropping an idle connection.
        if (req.url === '/drops-reused' && (req.socket as { served?: boolean }).served) {
          req.socket.destroy();
          return;
        }
        (req.socket as { served?: boolean }).served = true;
        if (req.url === '/broken') {
          res.writeHead(502, 'Bad Gateway', { 'content-type': 'text/plain' }).end('upstream gone');
          return;
        }
        const echo = { method: req.method, auth: req.headers.authorization, length: req.headers['content-length'], body: Buffer.concat(chunks).toString('utf8') };
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(echo));
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    fetcher.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the body and headers and reads the answer as fetch would', async () => {
    const body = JSON.stringify({ query: '{ 窗口 }' });
    const response = await fetcher(`${url}/graphql`, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body });
    expect([response.ok, response.status, response.headers.get('Content-Type')]).toEqual([true, 200, 'application/json; charset=utf-8']);
    expect([response.headers.has('content-type'), response.headers.has('x-absent'), response.headers.get('X-Absent')]).toEqual([true, false, null]);
    expect(await response.json()).toEqual({ method: 'POST', auth: 'Bearer t', length: String(Buffer.byteLength(body)), body });
    expect(await response.text()).toContain('窗口');
  });

  it('keeps one connection alive across sequential requests', async () => {
    const before = connections;
    for (let i = 0; i < 10; i++) await (await fetcher(`${url}/graphql`, { method: 'POST', body: '{}' })).json();
    expect(connections - before).toBeLessThanOrEqual(1);
  });

  it('sends a request again on a fresh connection when a reused one was closed before any answer', async () => {
    const before = connections;
    await (await fetcher(`${url}/drops-reused`, { method: 'POST', body: '{}' })).json();
    const second = await fetcher(`${url}/drops-reused`, { method: 'POST', body: '{"again":true}' });
    expect(await second.json()).toMatchObject({ body: '{"again":true}' });
    expect(connections - before).toBe(2);
  });

  it('reports an error status without throwing, as fetch does', async () => {
    const response = await fetcher(`${url}/broken`, { method: 'POST', body: '{}' });
    expect([response.ok, response.status, response.statusText, await response.text()]).toEqual([false, 502, 'Bad Gateway', 'upstream gone']);
  });

  it('gives up at the deadline with a TimeoutError', async () => {
    const started = Date.now();
    await expect(fetcher(`${url}/slow`, { method: 'POST', body: '{}' })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('rejects when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(fetcher(`http://127.0.0.1:${port}/graphql`, { method: 'POST', body: '{}' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
