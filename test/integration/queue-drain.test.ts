import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { QueueDrainService } from '../../src/modules/queue/queue-drain.service';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';
import { describeWithPostgres } from '../helpers/test-database';
import { pushItem, taskData } from '../factories/records';

describe('queue drain', () => {
  let t: TestApp;
  let tenants: TestTenant[];

  beforeAll(async () => {
    t = await startTestApp('queue_drain');
    tenants = [await t.createTenant(), await t.createTenant()];
  });
  afterAll(() => t.close());

  it('applies what stays pending for every tenant, each item exactly once even with two drains at once', async () => {
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

describeWithPostgres('queue drain next to another processor', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('queue_drain_held');
  });
  afterAll(() => t.close());

  it('leaves an edit pending while another processor holds the earlier edit of the same record', async () => {
    const tenant = await t.createTenant();
    const record = randomUUID();
    const first = pushItem({ mobile_id: record, data: taskData({ remarks: 'first' }) });
    const second = pushItem({ mobile_id: record, base_version: 1, data: taskData({ remarks: 'second' }) });
    const other = pushItem();
    const enqueued = await call(t, 'POST', '/api/v1/sync/push', {
      key: tenant.syncKey,
      device: 'dev-held',
      body: { items: [first, second, other], mode: 'enqueue' },
    });
    expect(enqueued.status).toBe(200);

    // Another processor (a session of its own) has claimed the first edit and not committed yet.
    const holder = new Client({ connectionString: t.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      const held = await holder.query(
        `SELECT id FROM sync_queue_item WHERE tenant_id = $1 AND client_mutation_id = $2 FOR UPDATE`,
        [tenant.id, first.client_mutation_id],
      );
      expect(held.rowCount).toBe(1);
      expect(await t.app.get(QueueDrainService).drain()).toBe(1);
      const statuses = await t.db.query(
        `SELECT client_mutation_id AS id, status FROM sync_queue_item WHERE tenant_id = $1 ORDER BY id`,
        [tenant.id],
      );
      expect(statuses).toEqual([
        { id: first.client_mutation_id, status: 'pending' },
        { id: second.client_mutation_id, status: 'pending' },
        { id: other.client_mutation_id, status: 'processed' },
      ]);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }

    // Released: both edits apply, in the order the device made them.
    expect(await t.app.get(QueueDrainService).drain()).toBe(2);
    const rows = await t.db.query(`SELECT version, data FROM sync_record WHERE tenant_id = $1 AND mobile_id = $2`, [
      tenant.id,
      record,
    ]);
    expect(rows).toEqual([{ version: 2, data: expect.objectContaining({ remarks: 'second' }) }]);
  });
});
