import { QueueRetentionService } from '../../src/modules/queue/queue-retention.service';
import { pushItem } from '../factories/records';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

/** Processed queue items go after QUEUE_RESULT_RETENTION_DAYS; pending ones stay; a retry after that is a new item. */
describe('queue result retention', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp('queue_retention', { PURGE_BATCH_SIZE: 2 });
    tenant = await t.createTenant();
  });
  afterAll(() => t.close());

  const push = async (items: ReturnType<typeof pushItem>[], mode?: 'enqueue') => {
    const result = await call(t, 'POST', '/api/v1/sync/push', {
      key: tenant.syncKey,
      // pending items on a device of their own (a push of a device may first apply that device's pending ones)
      device: mode ? 'offline-phone' : 'phone',
      body: mode ? { items, mode } : { items },
    });
    expect(result.status).toBe(200);
    return result.body.results as Array<{ client_mutation_id: string; status: string; replayed?: boolean }>;
  };
  const statuses = async (): Promise<Record<string, number>> => {
    const rows: Array<{ status: string; n: number }> = await t.db.query(
      `SELECT status, count(*)::int AS n FROM sync_queue_item WHERE tenant_id = $1 GROUP BY status ORDER BY status`,
      [tenant.id],
    );
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  };

  it('removes old processed items in batches, keeps recent and pending ones, and treats a later retry as new', async () => {
    const old = [...Array(5)].map(() => pushItem());
    await push(old);
    const recent = pushItem();
    await push([recent]);
    const pending = pushItem();
    expect((await push([pending], 'enqueue'))[0].status).toBe('queued');
    await t.db.query(
      `UPDATE sync_queue_item SET processed_at = now() - interval '31 days'
       WHERE tenant_id = $1 AND client_mutation_id = ANY($2::text[])`,
      [tenant.id, old.map((item) => item.client_mutation_id)],
    );
    // pending items have no processed_at; even one that had would stay
    await t.db.query(
      `UPDATE sync_queue_item SET enqueued_at = now() - interval '40 days' WHERE tenant_id = $1 AND status = 'pending'`,
      [tenant.id],
    );
    expect(await statuses()).toEqual({ pending: 1, processed: 6 });

    const outcome = await t.app.get(QueueRetentionService).runRetention();
    expect(outcome?.items).toBeGreaterThanOrEqual(5);
    expect(await statuses()).toEqual({ pending: 1, processed: 1 });

    const [replayed] = await push([recent]);
    expect(replayed.replayed).toBe(true);
    // The stored result of an old item is gone: its retry is a new item (here a stale create of an existing record).
    const [again] = await push([old[0]]);
    expect(again.replayed).toBeUndefined();
    expect(await statuses()).toMatchObject({ pending: 1 });
    expect((await t.app.get(QueueRetentionService).runRetention())?.items).toBe(0);
  });
});
