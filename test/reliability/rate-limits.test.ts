import { randomBytes } from 'node:crypto';
import { call, CallResult, expectErrorBody, startTestApp, TestApp } from '../helpers/test-app';
import { createTestDatabase, describeWithPostgres, TestDatabase } from '../helpers/test-database';

const REDIS_URL = 'redis://127.0.0.1:6379';

function tally(results: CallResult[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const result of results) counts[result.status] = (counts[result.status] ?? 0) + 1;
  return counts;
}

const BAD_TOKEN = 'Bearer fsk_' + '0'.repeat(43);

describe('rate limits (issue 14, item 7)', () => {
  describeWithPostgres('two replicas sharing Redis', () => {
    let database: TestDatabase;
    let replicas: TestApp[];

    beforeAll(async () => {
      database = await createTestDatabase('rate_limits');
      // A key prefix of its own: the Redis of this machine is shared with other suites and services.
      const shared = {
        REDIS_URL,
        REDIS_KEY_PREFIX: `fieldsync-test:${randomBytes(6).toString('hex')}:`,
        RATE_LIMIT_PER_MINUTE: 10,
        AUTH_FAIL_LIMIT_PER_MINUTE: 60,
      };
      const first = await startTestApp('rate_limits', shared, { database });
      const second = await startTestApp('rate_limits', shared, { database });
      replicas = [first, second];
    });
    afterAll(async () => {
      for (const replica of replicas ?? []) await replica.close();
      await database?.drop();
    });

    it('enforce one per-credential limit between them', async () => {
      const tenant = await replicas[0].createTenant();
      const results: CallResult[] = [];
      for (let i = 0; i < 20; i++) {
        results.push(await call(replicas[i % 2], 'GET', '/api/v1/tenant', { key: tenant.adminKey }));
      }
      process.stdout.write(`[item 7] 20 requests over 2 replicas, limit 10: ${JSON.stringify(tally(results))}\n`);
      expect(tally(results)).toEqual({ 200: 10, 429: 10 });
      const limited = results[results.length - 1];
      expectErrorBody(limited, 429, 'RATE_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    });

    it('limit failed authentication per client address: the 61st bad credential is a 429 on either replica', async () => {
      const results: CallResult[] = [];
      for (let i = 0; i < 61; i++) {
        results.push(await call(replicas[i % 2], 'GET', '/api/v1/tenant', { headers: { authorization: BAD_TOKEN } }));
      }
      process.stdout.write(`[item 7] 61 bad credentials over 2 replicas: ${JSON.stringify(tally(results))}\n`);
      expect(results.slice(0, 60).every((result) => result.status === 401)).toBe(true);
      const limited = results[60];
      expectErrorBody(limited, 429, 'RATE_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // The address stays limited for the window, whatever it sends: guessing cannot go on with valid-looking tries.
      const tenant = await replicas[1].createTenant();
      expect((await call(replicas[0], 'GET', '/api/v1/tenant', { key: tenant.adminKey })).status).toBe(429);
    });
  });

  describe('one replica without Redis', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp('rate_limits_memory', { AUTH_FAIL_LIMIT_PER_MINUTE: 60 });
    });
    afterAll(() => t.close());

    it('answers 61 bad tokens from one address with 60 × 401 and then 429 with Retry-After', async () => {
      const results: CallResult[] = [];
      for (let i = 0; i < 61; i++) {
        results.push(await call(t, 'GET', '/api/v1/tenant', { headers: { authorization: `Bearer not-a-jwt-${i}` } }));
      }
      process.stdout.write(`[item 7] 61 bad tokens, in-memory: ${JSON.stringify(tally(results))}\n`);
      expect(tally(results.slice(0, 60))).toEqual({ 401: 60 });
      expectErrorBody(results[60], 429, 'RATE_LIMITED');
      expect(Number(results[60].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    });
  });

  describe('Redis unreachable', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp('rate_limits_down', {
        REDIS_URL: 'redis://127.0.0.1:1',
        RATE_LIMIT_PER_MINUTE: 3,
        AUTH_FAIL_LIMIT_PER_MINUTE: 60,
      });
    });
    afterAll(() => t.close());

    it('falls back to the per-replica limiter instead of failing requests', async () => {
      const tenant = await t.createTenant();
      const results: CallResult[] = [];
      for (let i = 0; i < 4; i++) results.push(await call(t, 'GET', '/api/v1/tenant', { key: tenant.adminKey }));
      expect(results.map((result) => result.status)).toEqual([200, 200, 200, 429]);
    });
  });
});
