/**
 * Stops calling a platform that keeps failing, so a regional outage costs a fast
 * error instead of a pile of timeouts, and probes it again after a cool-down.
 */
export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one probe call is let through. */
  resetAfterMs: number;
  now?: () => number;
}

export class CircuitOpenError extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`circuit open; next probe in ${retryAfterMs} ms`);
    this.name = 'CircuitOpenError';
  }
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private stateValue: CircuitState = 'CLOSED';
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.stateValue === 'OPEN' && this.now() - this.openedAt >= this.options.resetAfterMs) {
      return 'HALF_OPEN';
    }
    return this.stateValue;
  }

  /**
   * Runs `call` unless the circuit is open. `isFailure` decides which errors count:
   * a platform that rejects a bad request is healthy and must not open the circuit.
   */
  async run<T>(call: () => Promise<T>, isFailure: (error: unknown) => boolean): Promise<T> {
    const state = this.state;
    if (state === 'OPEN' || (state === 'HALF_OPEN' && this.probing)) {
      throw new CircuitOpenError(Math.max(0, this.options.resetAfterMs - (this.now() - this.openedAt)));
    }
    if (state === 'HALF_OPEN') this.probing = true;
    try {
      const result = await call();
      this.failures = 0;
      this.stateValue = 'CLOSED';
      return result;
    } catch (error) {
      if (isFailure(error)) this.recordFailure(state === 'HALF_OPEN');
      else if (state === 'HALF_OPEN') {
        this.failures = 0;
        this.stateValue = 'CLOSED';
      }
      throw error;
    } finally {
      if (state === 'HALF_OPEN') this.probing = false;
    }
  }

  private recordFailure(wasProbe: boolean): void {
    this.failures += 1;
    if (wasProbe || this.failures >= this.options.failureThreshold) {
      this.stateValue = 'OPEN';
      this.openedAt = this.now();
    }
  }
}
