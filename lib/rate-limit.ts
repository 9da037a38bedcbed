import type { Redis } from 'ioredis';

/**
 * A per-caller budget of mutations per minute, counted in Redis so every
 * gateway replica draws from the same budget.
 */
export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly perMinute: number,
  ) {}

  /** True while the caller is within budget after spending `units` (one per mutation field). */
  async consume(subject: string, units = 1, now = Date.now()): Promise<boolean> {
    const window = Math.floor(now / 60_000);
    const key = `ratelimit:mutations:${subject}:${window}`;
    const [[, count] = [null, 0]] = (await this.redis.multi().incrby(key, units).pexpire(key, 120_000).exec()) ?? [];
    return Number(count) <= this.perMinute;
  }
}
