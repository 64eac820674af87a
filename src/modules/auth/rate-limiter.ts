import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { errorMessage } from '../../common/errors/error-message';

const WINDOW_MS = 60_000;

/** Fixed one-minute windows per key, in process memory (each replica counts its own share). */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  /** Counts one event; returns 0 when within `limit`, else the seconds until the window resets. */
  take(key: string, limit: number, now = Date.now()): number {
    const window = this.windows.get(key);
    if (!window || now - window.start >= WINDOW_MS) {
      if (this.windows.size > 100_000) this.evict(now);
      this.windows.set(key, { start: now, count: 1 });
      return 0;
    }
    window.count += 1;
    return window.count <= limit ? 0 : secondsLeft(window.start + WINDOW_MS - now);
  }

  /** Without counting: the seconds to wait when `key` has already used its `limit`, else 0. */
  peek(key: string, limit: number, now = Date.now()): number {
    const window = this.windows.get(key);
    if (!window || now - window.start >= WINDOW_MS || window.count < limit) return 0;
    return secondsLeft(window.start + WINDOW_MS - now);
  }

  private evict(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= WINDOW_MS) this.windows.delete(key);
  }
}

function secondsLeft(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** INCR with the window set on the first event; answers the count and the milliseconds left. */
const TAKE_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}`;
const PEEK_SCRIPT = `return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1])}`;

/** How long a request waits for Redis before the replica counts in memory instead. */
const REDIS_TIMEOUT_MS = 250;
const WARNING_INTERVAL_MS = 60_000;

export type RateLimitBucket = 'credential' | 'auth_failure';

/**
 * The rate limits: per credential (RATE_LIMIT_PER_MINUTE) and failed authentications per client address
 * (AUTH_FAIL_LIMIT_PER_MINUTE). With REDIS_URL the counts are shared by every replica; without it, or while Redis
 * does not answer within REDIS_TIMEOUT_MS, each replica counts in memory (a warning is logged at most once a
 * minute): an outage of Redis loosens the limits to per-replica ones but never fails or stalls a request.
 */
@Injectable()
export class RateLimits implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RateLimits.name);
  private readonly memory = new RateLimiter();
  private readonly redis: Redis | null;
  private readonly prefix: string;
  private readonly limits: Record<RateLimitBucket, number>;
  private lastWarning = 0;

  constructor(config: AppConfig) {
    this.limits = {
      credential: config.get('RATE_LIMIT_PER_MINUTE'),
      auth_failure: config.get('AUTH_FAIL_LIMIT_PER_MINUTE'),
    };
    this.prefix = `${config.get('REDIS_KEY_PREFIX')}rl:`;
    const url = config.get('REDIS_URL');
    this.redis = url
      ? new Redis(url, {
          lazyConnect: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          commandTimeout: REDIS_TIMEOUT_MS,
          connectTimeout: 2_000,
          retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
        })
      : null;
    this.redis?.on('error', (error: unknown) => this.warn(`Redis unavailable: ${errorMessage(error)}`));
  }

  async onModuleInit(): Promise<void> {
    // Connected before the first request when Redis answers; otherwise the replica starts on its own counts.
    await this.redis?.connect().catch((error: unknown) => this.warn(`Redis unavailable: ${errorMessage(error)}`));
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.redis) return;
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis?.disconnect());
    else this.redis.disconnect();
  }

  /** Counts one event; 0 when within the bucket's limit, else the seconds to wait. */
  take(bucket: RateLimitBucket, key: string): Promise<number> {
    return this.run(
      bucket,
      key,
      TAKE_SCRIPT,
      (count, ms) => (count <= this.limits[bucket] ? 0 : secondsLeft(ms)),
      () => this.memory.take(`${bucket}:${key}`, this.limits[bucket]),
    );
  }

  /** Without counting: the seconds to wait when the key has used its whole limit, else 0. */
  peek(bucket: RateLimitBucket, key: string): Promise<number> {
    return this.run(
      bucket,
      key,
      PEEK_SCRIPT,
      (count, ms) => (count < this.limits[bucket] ? 0 : secondsLeft(ms)),
      () => this.memory.peek(`${bucket}:${key}`, this.limits[bucket]),
    );
  }

  private async run(
    bucket: RateLimitBucket,
    key: string,
    script: string,
    decide: (count: number, msLeft: number) => number,
    inMemory: () => number,
  ): Promise<number> {
    if (!this.redis || this.redis.status !== 'ready') {
      if (this.redis) this.warn(`Redis not connected (${this.redis.status}); rate limits counted per replica`);
      return inMemory();
    }
    try {
      const [count, msLeft] = (await this.redis.eval(script, 1, `${this.prefix}${bucket}:${key}`, WINDOW_MS)) as [
        number,
        number,
      ];
      return decide(count, msLeft > 0 ? msLeft : WINDOW_MS);
    } catch (error) {
      this.warn(`Redis rate limit failed (${errorMessage(error)}); counted per replica`);
      return inMemory();
    }
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarning < WARNING_INTERVAL_MS) return;
    this.lastWarning = now;
    this.logger.warn(message);
  }
}
