import nock from 'nock';
import { afterAll, afterEach, beforeAll } from 'vitest';

/** The error a call failed with; the test fails if the call succeeded. */
export async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

/**
 * A persisted interceptor that counts calls, so an extra call shows up as a
 * count, not as a nock "no match" error. The body is sent as JSON unless it is
 * already a string (a deliberately broken one).
 */
export function counted(interceptor: nock.Interceptor, reply: () => [number, unknown, Record<string, string>?]): { count: number } {
  const calls = { count: 0 };
  interceptor.reply(() => {
    calls.count += 1;
    const [status, body, headers] = reply();
    return [status, typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json', ...headers }];
  });
  return calls;
}

/** No real network for the file's tests; interceptors are dropped after each, and `reset` runs then too. */
export function offlineWithNock(reset: () => void = () => undefined): void {
  beforeAll(() => {
    nock.disableNetConnect();
  });
  afterEach(() => {
    nock.cleanAll();
    reset();
  });
  afterAll(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });
}
