import { describe, expect, it } from 'vitest';
import { fetchText } from '../../adapters/http-client.kit.js';
import { PlatformUnavailableError } from '../../adapters/platform.errors.js';

const OPTS = { system: 'CHONGQING', displayName: '渝快办', label: 'POST /api/v1/cases', timeoutMs: 40 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('fetchText deadline', () => {
  it('ends the deadline with the answer: nothing is aborted after the call returned', async () => {
    let signal: AbortSignal | undefined;
    const fetch: typeof globalThis.fetch = async (_, init) => {
      signal = init?.signal ?? undefined;
      return new Response('{"code":"0"}', { status: 201, headers: { 'retry-after': '3' } });
    };
    await expect(fetchText('http://platform.test/api/v1/cases', { method: 'POST' }, { ...OPTS, fetch })).resolves.toEqual({ status: 201, retryAfter: '3', text: '{"code":"0"}' });
    await sleep(OPTS.timeoutMs * 2);
    expect(signal?.aborted).toBe(false);
  });

  it('aborts an exchange still running at the deadline and reports a timeout', async () => {
    const fetch: typeof globalThis.fetch = (_, init) =>
      new Promise((_resolve, reject) => init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason)));
    const error = await fetchText('http://platform.test/api/v1/cases', { method: 'POST' }, { ...OPTS, fetch }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect((error as Error).message).toBe('渝快办 POST /api/v1/cases 超时（40 ms）');
  });
});
