import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NPM_START, startLikeNpmStart, type StartedStack } from '../support/npm-start.kit.js';
import { testRedisUrl } from '../support/stack.js';

/**
 * `npm start` as a newcomer runs it: the build into dist/, then the eight
 * processes from it, a gateway that answers with the tokens the banner prints,
 * and Ctrl-C that stops every one of them.
 */
describe('npm start', () => {
  let stack: StartedStack;

  beforeAll(async () => {
    stack = await startLikeNpmStart(NPM_START, { redisUrl: testRedisUrl(), readyWithinMs: 50_000 });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('serves the gateway from the build, to the window token it printed', async () => {
    expect(stack.output()).toMatch(/tongban is running .*; up after sandboxes [\d.]+ s, subgraphs [\d.]+ s, gateway ready [\d.]+ s/);
    const token = /WINDOW_STAFF\s+CHONGQING\s+W-500000-24\s+(\S+)/.exec(stack.output())?.[1];
    expect(token).toBeDefined();
    const ask = (authorization?: string) =>
      fetch(`${stack.gatewayUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ query: '{ window(id: "W-500000-24") { id name } }' }),
      });
    const answered = await ask(`Bearer ${token}`);
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as { data: { window: { id: string } } }).data.window.id).toBe('W-500000-24');
    expect((await ask()).status).toBe(401);
  });

  it('stops every process on Ctrl-C and exits 0', async () => {
    expect(await stack.stop()).toBe(0);
    // Not one service left behind in its process group.
    expect(() => process.kill(-stack.pid, 0)).toThrow(/ESRCH/);
    await expect(fetch(`${stack.gatewayUrl}/health`, { signal: AbortSignal.timeout(1000) })).rejects.toThrow();
  }, 30_000);
});
