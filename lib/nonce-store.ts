import type { Redis } from 'ioredis';
import type { NonceStore } from '../adapters/platform.port.js';

/** Webhook nonces in Redis, shared by every replica, so a replay is refused whichever one it reaches. */
export class RedisNonceStore implements NonceStore {
  constructor(
    private readonly redis: Redis,
    private readonly namespace: string,
  ) {}

  async claim(nonce: string, ttlSeconds: number): Promise<boolean> {
    const result = await this.redis.set(`nonce:${this.namespace}:${nonce}`, '1', 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX');
    return result === 'OK';
  }
}
