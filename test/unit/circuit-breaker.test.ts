import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError } from '../../adapters/circuit-breaker.js';

describe('circuit breaker', () => {
  const fail = () => Promise.reject(new Error('503'));
  const ok = () => Promise.resolve('ok');
  const always = () => true;

  it('opens after consecutive failures, probes once after the cool-down, closes on success', async () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 3, resetAfterMs: 1000, now: () => now });
    for (let i = 0; i < 3; i++) await expect(breaker.run(fail, always)).rejects.toThrow('503');
    expect(breaker.state).toBe('OPEN');
    await expect(breaker.run(ok, always)).rejects.toBeInstanceOf(CircuitOpenError);

    now = 1000;
    expect(breaker.state).toBe('HALF_OPEN');
    await expect(breaker.run(ok, always)).resolves.toBe('ok');
    expect(breaker.state).toBe('CLOSED');
  });

  it('re-opens when the probe fails', async () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, resetAfterMs: 100, now: () => now });
    await expect(breaker.run(fail, always)).rejects.toThrow();
    now = 150;
    await expect(breaker.run(fail, always)).rejects.toThrow('503');
    expect(breaker.state).toBe('OPEN');
  });

  it('closes fully when the probe meets an error that is not a platform failure', async () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 2, resetAfterMs: 100, now: () => now });
    await expect(breaker.run(fail, always)).rejects.toThrow();
    await expect(breaker.run(fail, always)).rejects.toThrow();
    now = 100;
    await expect(breaker.run(fail, () => false)).rejects.toThrow();
    expect(breaker.state).toBe('CLOSED');
    await expect(breaker.run(fail, always)).rejects.toThrow();
    expect(breaker.state).toBe('CLOSED');
  });

  it('does not count errors the caller says are not failures of the platform', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, resetAfterMs: 100 });
    await expect(breaker.run(fail, () => false)).rejects.toThrow();
    expect(breaker.state).toBe('CLOSED');
  });
});
