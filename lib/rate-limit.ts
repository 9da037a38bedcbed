import type { Redis } from 'ioredis';

/**
 * A per-caller budget per minute (of mutations, of verify-page lookups: `name`),
 * counted in Redis so every gateway replica draws from the same budget.
 */
export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly perMinute: number,
    private readonly name = 'mutations',
  ) {}

  /** True while the caller is within budget after spending `units` (one per mutation field). */
  async consume(subject: string, units = 1, now = Date.now()): Promise<boolean> {
    const window = Math.floor(now / 60_000);
    const key = `ratelimit:${this.name}:${subject}:${window}`;
    const [[, count] = [null, 0]] = (await this.redis.multi().incrby(key, units).pexpire(key, 120_000).exec()) ?? [];
    return Number(count) <= this.perMinute;
  }

  /** Seconds until the budget's minute is over and a refused caller may try again. */
  retryAfterSeconds(now = Date.now()): number {
    return Math.ceil((60_000 - (now % 60_000)) / 1000);
  }
}
