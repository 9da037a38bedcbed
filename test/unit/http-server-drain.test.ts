import { describe, expect, it } from 'vitest';
import { json, startHttpServer } from '../../lib/http-server.js';
import { createLogger } from '../../lib/logger.js';

const logger = createLogger({ level: 'silent', service: 'test' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A replica told to stop (lib/shutdown.ts) closes its listener and lets the
 * requests in flight finish. Clients behind a load balancer keep their
 * connections alive: each answer given while draining must tell them to open
 * a new connection (which the stopped listener refuses, so they go to another
 * replica), or they send the next request down the old one just as it is
 * closed under them, and cannot tell whether it was done.
 */
describe('draining on close', () => {
  let started = 0;
  const serve = () =>
    startHttpServer({
      host: '127.0.0.1',
      port: 0,
      logger,
      drainMs: 1_000,
      routes: [{ method: 'GET', path: '/work', handler: async () => (started++, await sleep(20), json(200, { ok: true })) }],
    });

  it('answers the request in flight with Connection: close, then refuses new connections', async () => {
    const server = await serve();
    await (await fetch(`${server.url}/work`)).text();
    const before = started;
    const inFlight = fetch(`${server.url}/work`);
    while (started === before) await sleep(1);
    const closing = server.close();
    const response = await inFlight;
    expect([response.status, response.headers.get('connection'), await response.json()]).toEqual([200, 'close', { ok: true }]);
    await closing;
    const next = await fetch(`${server.url}/work`).catch((error: { cause?: { code?: string } }) => error.cause?.code);
    expect(next).toBe('ECONNREFUSED');
  });

  it('keep-alive clients sending back to back: every request begun is answered, and the drain ends within a moment', async () => {
    const server = await serve();
    started = 0;
    let answered = 0;
    const refusals = new Set<string>();
    const client = async () => {
      for (const stopAt = Date.now() + 1_500; Date.now() < stopAt; ) {
        try {
          await (await fetch(`${server.url}/work`)).text();
          answered++;
        } catch (error) {
          // Refused, or cut before it was read (a connection idle as close began): never begun, so safe to send elsewhere.
          refusals.add((error as { cause?: { code?: string } }).cause?.code ?? String(error));
        }
      }
    };
    const clients = Promise.all(Array.from({ length: 8 }, client));
    await sleep(300);
    const closeStarted = Date.now();
    await server.close();
    const drainMs = Date.now() - closeStarted;
    await clients;
    expect(answered).toBe(started);
    expect(refusals.has('ECONNREFUSED')).toBe(true);
    // Only the requests in flight as close began: 20 ms each, far inside the 1 s drain deadline.
    expect(drainMs).toBeLessThan(500);
  });
});
