import { QueueDrainService } from '../../src/modules/queue/queue-drain.service';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';
import { pushItem } from '../factories/records';

describe('queue drain', () => {
  let t: TestApp;
  let tenants: TestTenant[];

  beforeAll(async () => {
    t = await startTestApp('queue_drain');
    tenants = [await t.createTenant(), await t.createTenant()];
  });
  afterAll(() => t.close());

  it('applies what stays pending for every tenant, in small batches, each item exactly once even with two drains at once', async () => {
    let total = 0;
    for (const tenant of tenants) {
      for (let d = 0; d < 3; d++) {
        const items = [...Array(60)].map((_, i) => pushItem({ priority: i % 3 === 0 ? 'high' : 'low' }));
        const result = await call(t, 'POST', '/api/v1/sync/push', {
          key: tenant.syncKey,
          device: `dev-${d}`,
          body: { items, mode: 'enqueue' },
        });
        expect(result.status).toBe(200);
        total += items.length;
      }
    }
    const queue = t.app.get(QueueDrainService);
    const [first, second] = await Promise.all([queue.drain(), queue.drain()]);
    process.stdout.write(`drain: ${total} items, drained ${first} + ${second}\n`);
    expect(first + second).toBe(total);

    const items = await t.db.query(
      `SELECT status, attempts, count(*)::int AS n FROM sync_queue_item GROUP BY status, attempts`,
    );
    expect(items).toEqual([{ status: 'processed', attempts: 1, n: total }]);
    const revisions = await t.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT mobile_id)::int AS records FROM sync_record_revision`,
    );
    expect(revisions[0]).toEqual({ n: total, records: total });
    const status = await call(t, 'GET', '/api/v1/sync/queue-status', { key: tenants[0].syncKey });
    expect(status.body).toMatchObject({ pending_items: 0, high_priority: 0, queue_healthy: true });
  });
});
