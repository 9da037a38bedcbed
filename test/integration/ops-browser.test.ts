import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaterialTransferQueue } from '../../queues/material-transfer.queue.js';
import { bullPrefix } from '../../queues/queues.js';
import type { Caller } from '../../lib/auth/caller.js';
import { createQueueConnection } from '../../lib/redis.js';
import { ARTIFACTS, launchChromium } from '../support/browser.js';
import { DEFAULT_CALLER, startTestStack, type TestStack } from '../support/stack.js';

const OPS: Caller = { subject: 'ops-1', role: 'OPS', region: 'CHONGQING', windowId: null };

/**
 * The dashboard and GraphiQL as a person sees them in Chromium, with every
 * request off this machine refused and recorded: both must work offline.
 */
describe('ops pages in Chromium', () => {
  let stack: TestStack;
  let browser: Browser;
  let context: BrowserContext;
  const external: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' || url.protocol === 'data:') return route.continue();
      external.push(url.href);
      return route.abort();
    });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.close();
  });

  it('shows the BullMQ dashboard after /ops/login, with a dead letter in it', async () => {
    const connection = createQueueConnection(stack.redisUrl);
    const transfers = new MaterialTransferQueue(connection, bullPrefix(stack.prefix));
    await transfers.enqueue('TB-NO-SUCH-CASE', 'ONLINE');
    await transfers.close();
    connection.disconnect();

    const tab = await context.newPage();
    const refused = await tab.goto(`${stack.gateway.url}/ops/queues/`);
    expect(refused?.status()).toBe(401);
    const staff = await tab.goto(`${stack.gateway.url}/ops/login?token=${await stack.token(DEFAULT_CALLER)}`);
    expect(staff?.status()).toBe(403);

    await tab.goto(`${stack.gateway.url}/ops/login?token=${await stack.token(OPS)}`);
    expect(new URL(tab.url()).pathname).toBe('/ops/queues/');
    // The token left the address bar with the redirect.
    expect(tab.url()).not.toContain('token=');
    await tab.getByText(/\d+ 个作业/).first().waitFor({ timeout: 15_000 });
    await tab.screenshot({ path: `${ARTIFACTS}/ops-queues.png` });

    await tab.goto(`${stack.gateway.url}/ops/queues/queue/${encodeURIComponent('{material-transfer}')}?status=failed`);
    await tab.getByText('transfer-TB-NO-SUCH-CASE').first().waitFor({ timeout: 15_000 });
    await tab.getByText('错误', { exact: true }).first().click();
    await tab.getByText('case TB-NO-SUCH-CASE does not exist').first().waitFor();
    await tab.screenshot({ path: `${ARTIFACTS}/ops-queues-failed.png` });
    expect(external).toEqual([]);
  });

  it('runs a query from GraphiQL with a pasted development token', async () => {
    const tab = await context.newPage();
    await tab.goto(`${stack.gateway.url}/graphiql`);
    await tab.locator('.graphiql-container').waitFor();
    const token = await stack.token(DEFAULT_CALLER);
    // What a person does by pasting into the Headers editor (CodeMirror 5 keeps its instance on the wrapper element).
    await tab.locator('.graphiql-editor-tool .CodeMirror').last().evaluate((element, value) => {
      (element as unknown as { CodeMirror: { setValue(v: string): void } }).CodeMirror.setValue(value);
    }, JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2));
    // With the token the schema loads: documentation and completion work.
    await tab.locator('[aria-label="Re-fetch GraphQL schema"]').click();
    await tab.locator('[aria-label="Show Documentation Explorer"]').click();
    const docs = tab.locator('.graphiql-doc-explorer');
    await docs.getByText('Query', { exact: true }).first().click({ timeout: 15_000 });
    await docs.getByText('queues', { exact: true }).waitFor();
    await tab.locator('.graphiql-execute-button').click();
    const result = tab.locator('.result-window');
    await expect.poll(async () => result.innerText(), { timeout: 15_000 }).toContain('W-510000-01');
    await tab.screenshot({ path: `${ARTIFACTS}/graphiql.png` });
    expect(external).toEqual([]);
  });
});
