import type { QueryRunner } from 'typeorm';
import { pushItem } from '../factories/records';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

/**
 * Issue 14, item 6: a push that committed answers 200. Every query that runs outside a transaction fails while
 * `faulty` is set, as if the connection died right after the commit.
 */
describe('hardening (issue 14): a committed push never answers 503', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let faulty = false;

  beforeAll(async () => {
    t = await startTestApp('hardening_commit', { RATE_LIMIT_PER_MINUTE: 1_000_000 });
    tenant = await t.createTenant();
    const createQueryRunner = t.db.createQueryRunner.bind(t.db);
    t.db.createQueryRunner = (...args: Parameters<typeof createQueryRunner>): QueryRunner => {
      const runner = createQueryRunner(...args);
      const query = runner.query.bind(runner);
      runner.query = ((text: string, ...rest: unknown[]) => {
        if (faulty && !runner.isTransactionActive && /FROM sync_queue_item/.test(text)) {
          return Promise.reject(
            Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
          );
        }
        return (query as (...a: unknown[]) => Promise<unknown>)(text, ...rest);
      }) as QueryRunner['query'];
      return runner;
    };
  });
  afterAll(() => t.close());

  it('answers 200 with remaining when the connection fails after the commit', async () => {
    const items = [pushItem(), pushItem()];
    faulty = true;
    const pushed = await call(t, 'POST', '/api/v1/sync/push', {
      key: tenant.syncKey,
      device: 'dev-commit',
      body: { items },
    });
    faulty = false;
    process.stdout.write(`[item 6] push with a post-commit fault: ${pushed.status}\n`);
    expect(pushed.status).toBe(200);
    expect(pushed.body.remaining).toBe(0);
    expect(pushed.body.results.map((r: { status: string }) => r.status)).toEqual(['applied', 'applied']);

    // The retry replays the stored results: the push had committed.
    const retried = await call(t, 'POST', '/api/v1/sync/push', {
      key: tenant.syncKey,
      device: 'dev-commit',
      body: { items },
    });
    expect(retried.status).toBe(200);
    expect(retried.body.results.every((r: { replayed?: boolean }) => r.replayed !== false)).toBe(true);
  });
});
