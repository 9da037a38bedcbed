import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffAt, startTestStack, type TestStack } from '../support/stack.js';
import { application, OFFICE_HOURS, RECEIVE, ROUTES, startPrivateRedis, type PrivateRedis } from '../support/process.kit.js';

/**
 * With Redis gone the gateway cannot spend a caller's mutation budget or look up
 * a persisted query. It must say so at once, not hold the request while the
 * connection retries: a window clerk's screen waiting seconds for nothing is
 * how duplicates get typed in.
 */
describe('the gateway while Redis is away', () => {
  let redis: PrivateRedis;
  let stack: TestStack;
  let down = false;

  beforeAll(async () => {
    redis = await startPrivateRedis('always');
    // No workers: their blocking connections are not what is under test, and they reconnect slowly after an outage.
    stack = await startTestStack({ redisUrl: redis.url, now: () => OFFICE_HOURS, workers: false });
  });

  afterAll(async () => {
    if (down) await redis.start();
    await stack?.close();
    await redis?.stop();
  });

  async function post(caller: ReturnType<typeof staffAt>, tag: string) {
    const route = ROUTES[0]!;
    const response = await fetch(`${stack.gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.token(caller)}` },
      body: JSON.stringify({ query: RECEIVE, variables: { input: application(route.item, route.windowId, tag) } }),
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  it('refuses a mutation within the command deadline with REDIS.NOT_AVAILABLE, and serves it again once Redis is back', async () => {
    const caller = staffAt(ROUTES[0]!.windowId);
    await stack.token(caller);
    await redis.kill();
    down = true;
    const started = performance.now();
    const response = await post(caller, 'outage-1');
    const elapsed = performance.now() - started;
    expect(response.status).toBe(503);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('REDIS.NOT_AVAILABLE');
    expect(elapsed).toBeLessThan(2_500);

    await redis.start();
    down = false;
    const again = await post(caller, 'outage-2');
    expect(again.body.errors).toBeUndefined();
    expect(again.body.data.receiveApplication.businessNo).toBeTruthy();
  });
});
