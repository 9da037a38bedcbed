import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';

/** The store Apollo Server's automatic persisted queries use (its KeyValueCache contract). */
export interface DocumentCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean | void>;
}

/**
 * Automatic persisted queries shared by every gateway replica: a document
 * registered through one is found by hash through all of them. A hash names one
 * document forever, so each replica also keeps the documents it has seen in
 * memory and asks Redis only for hashes it does not know. Redis being away
 * costs nothing but the saving: a miss makes the client send the full document.
 */
export class PersistedQueryCache implements DocumentCache {
  private readonly local = new Map<string, string>();

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly options: { ttlSeconds: number; maxLocalDocuments?: number },
  ) {}

  async get(key: string): Promise<string | undefined> {
    const known = this.local.get(key);
    if (known !== undefined) return known;
    try {
      const stored = await this.redis.get(key);
      if (stored === null) return undefined;
      this.remember(key, stored);
      return stored;
    } catch (error) {
      this.logger.warn({ err: error }, 'persisted query lookup failed; the client will send the document');
      return undefined;
    }
  }

  async set(key: string, value: string): Promise<void> {
    this.remember(key, value);
    try {
      await this.redis.set(key, value, 'EX', this.options.ttlSeconds);
    } catch (error) {
      this.logger.warn({ err: error }, 'persisted query not stored; other replicas will ask for the document');
    }
  }

  async delete(key: string): Promise<boolean> {
    this.local.delete(key);
    return (await this.redis.del(key)) > 0;
  }

  private remember(key: string, value: string): void {
    if (this.local.size >= (this.options.maxLocalDocuments ?? 5_000) && !this.local.has(key)) {
      this.local.delete(this.local.keys().next().value!);
    }
    this.local.set(key, value);
  }
}
