import { randomUUID } from 'node:crypto';
import { call, CallResult, expectErrorBody, startTestApp, TestApp, TestTenant } from '../helpers/test-app';
import { pushItem, taskData } from '../factories/records';

describe('sync: push, queue, partial, optimal time, pull', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('sync');
  });
  afterAll(() => t.close());

  function push(
    key: string,
    device: string,
    items: unknown[],
    extra: Record<string, unknown> = {},
  ): Promise<CallResult> {
    return call(t, 'POST', '/api/v1/sync/push', { key, device, body: { items, ...extra } });
  }

  describe('push', () => {
    let tenant: TestTenant;
    beforeAll(async () => {
      tenant = await t.createTenant();
    });

    it('creates a new record at version 1 and applies an edit of the current version', async () => {
      const created = pushItem();
      const first = await push(tenant.syncKey, 'dev-a', [created]);
      expect(first.status).toBe(200);
      expect(first.body.results[0]).toMatchObject({
        status: 'applied',
        server_version: 1,
        client_mutation_id: created.client_mutation_id,
      });
      expect(first.body.remaining).toBe(0);

      const edit = pushItem({
        mobile_id: created.mobile_id,
        base_version: 1,
        data: taskData({ jobstatus: 'INPROGRESS' }),
      });
      const second = await push(tenant.syncKey, 'dev-a', [edit]);
      expect(second.body.results[0]).toMatchObject({ status: 'applied', server_version: 2 });
      const revisions = await t.db.query(
        'SELECT version, data FROM sync_record_revision WHERE tenant_id = $1 AND mobile_id = $2 ORDER BY version',
        [tenant.id, created.mobile_id],
      );
      expect(revisions.map((r: { version: number }) => r.version)).toEqual([1, 2]);
      expect(revisions[1].data.jobstatus).toBe('INPROGRESS');
    });

    it('rejects an edit whose base_version is ahead of the server', async () => {
      const created = pushItem();
      await push(tenant.syncKey, 'dev-a', [created]);
      const ahead = await push(tenant.syncKey, 'dev-a', [pushItem({ mobile_id: created.mobile_id, base_version: 5 })]);
      expect(ahead.body.results[0]).toMatchObject({
        status: 'rejected',
        server_version: 1,
        error: { code: 'VERSION_AHEAD' },
      });
      expect(ahead.body.results[0].record).toMatchObject({ version: 1, mobile_id: created.mobile_id });
    });

    it('resolves a stale edit through the domain policy and returns the server copy when the server wins', async () => {
      const created = pushItem({ client_updated_at: '2025-09-28T08:00:00Z' });
      await push(tenant.syncKey, 'dev-a', [created]);
      await push(tenant.syncKey, 'dev-a', [
        pushItem({
          mobile_id: created.mobile_id,
          base_version: 1,
          data: taskData({ jobstatus: 'INPROGRESS' }),
          client_updated_at: '2025-09-28T12:00:00Z',
        }),
      ]);
      const stale = await push(tenant.syncKey, 'dev-b', [
        pushItem({
          mobile_id: created.mobile_id,
          base_version: 1,
          data: taskData({ jobstatus: 'STANDBY' }),
          client_updated_at: '2025-09-28T11:00:00Z',
        }),
      ]);
      expect(stale.body.results[0]).toMatchObject({
        status: 'resolved',
        server_version: 2,
        conflict_id: expect.any(String),
      });
      expect(stale.body.results[0].record.data.jobstatus).toBe('INPROGRESS');
    });

    it('corrects the client clock with device_time before most_recent_wins compares', async () => {
      const created = pushItem({ client_updated_at: '2025-09-28T10:00:00Z' });
      await push(tenant.syncKey, 'dev-a', [created]);
      await push(tenant.syncKey, 'dev-a', [
        pushItem({
          mobile_id: created.mobile_id,
          base_version: 1,
          data: taskData({ jobstatus: 'INPROGRESS' }),
          client_updated_at: '2025-09-28T12:00:00Z',
        }),
      ]);
      // This device's clock runs 3 hours fast: its 14:00 edit happened at 11:00 server time, before the 12:00 edit.
      const deviceTime = new Date(Date.now() + 3 * 3600_000).toISOString();
      const skewed = await push(
        tenant.syncKey,
        'dev-fast',
        [
          pushItem({
            mobile_id: created.mobile_id,
            base_version: 1,
            data: taskData({ jobstatus: 'STANDBY' }),
            client_updated_at: '2025-09-28T14:00:00Z',
          }),
        ],
        { device_info: { device_time: deviceTime, network_type: '3g' } },
      );
      expect(skewed.body.results[0]).toMatchObject({ status: 'resolved', winning_version: 'server' });
      const offset = await t.db.query(
        `SELECT clock_offset_ms FROM sync_queue_item WHERE tenant_id = $1 AND device_id = 'dev-fast'`,
        [tenant.id],
      );
      expect(Math.abs(offset[0].clock_offset_ms - 3 * 3600_000)).toBeLessThan(60_000);
    });

    it('replays stored results for a retried push and applies nothing twice', async () => {
      const items = [pushItem(), pushItem()];
      const first = await push(tenant.syncKey, 'dev-r', items);
      const again = await push(tenant.syncKey, 'dev-r', items);
      expect(again.status).toBe(200);
      expect(again.body.results).toEqual(first.body.results.map((r: object) => ({ ...r, replayed: true })));
      const versions = await t.db.query(
        'SELECT count(*)::int AS n FROM sync_record_revision WHERE tenant_id = $1 AND mobile_id = ANY($2::uuid[])',
        [tenant.id, items.map((i) => i.mobile_id)],
      );
      expect(versions[0].n).toBe(2);
    });

    it('answers the same client_mutation_id with another payload with 409 and changes nothing', async () => {
      const item = pushItem();
      await push(tenant.syncKey, 'dev-x', [item]);
      const other = pushItem();
      const reused = await push(tenant.syncKey, 'dev-x', [
        other,
        { ...item, data: taskData({ jobstatus: 'CHANGED' }) },
      ]);
      expectErrorBody(reused, 409, 'MUTATION_ID_REUSED');
      const stored = await t.db.query(
        'SELECT count(*)::int AS n FROM sync_record WHERE tenant_id = $1 AND mobile_id = $2',
        [tenant.id, other.mobile_id],
      );
      expect(stored[0].n).toBe(0);
    });

    it('validates the body: unknown fields and domains, bad uuids, timestamps and missing device', async () => {
      expectErrorBody(await push(tenant.syncKey, 'dev-v', [{ ...pushItem(), extra: 1 }]), 400, 'VALIDATION_FAILED');
      expectErrorBody(await push(tenant.syncKey, 'dev-v', [pushItem({ domain: 'invoice' })]), 400);
      expectErrorBody(await push(tenant.syncKey, 'dev-v', [pushItem({ mobile_id: 'not-a-uuid' })]), 400);
      expectErrorBody(await push(tenant.syncKey, 'dev-v', [pushItem({ client_updated_at: 'yesterday' })]), 400);
      expectErrorBody(await push(tenant.syncKey, 'dev-v', [pushItem({ base_version: -1 })]), 400);
      expectErrorBody(await push(tenant.syncKey, 'dev-v', []), 400);
      const noDevice = await call(t, 'POST', '/api/v1/sync/push', {
        key: tenant.syncKey,
        body: { items: [pushItem()] },
      });
      expectErrorBody(noDevice, 400);
      const duplicate = pushItem();
      expectErrorBody(await push(tenant.syncKey, 'dev-v', [duplicate, duplicate]), 400);
      expectErrorBody(await push(tenant.syncKey, 'dev-v', [pushItem({ data: { blob: 'x'.repeat(300_000) } })]), 400);
      const count = await t.db.query(`SELECT count(*)::int AS n FROM sync_queue_item WHERE device_id = 'dev-v'`);
      expect(count[0].n).toBe(0);
    });

    it('applies one device’s edits of a record in order, whatever their priority', async () => {
      const id = randomUUID();
      const first = pushItem({ mobile_id: id, base_version: 0, priority: 'low', data: taskData({ step: 1 }) });
      const second = pushItem({ mobile_id: id, base_version: 1, priority: 'high', data: taskData({ step: 2 }) });
      await push(tenant.syncKey, 'dev-o', [first, second], { mode: 'enqueue' });
      const partial = await call(t, 'POST', '/api/v1/sync/partial', {
        key: tenant.syncKey,
        device: 'dev-o',
        body: { priority: 'high', max_items: 10 },
      });
      expect(partial.body.synced_items.map((i: { client_mutation_id: string }) => i.client_mutation_id)).toEqual([
        first.client_mutation_id,
        second.client_mutation_id,
      ]);
      expect(partial.body.synced_items.map((i: { status: string }) => i.status)).toEqual(['applied', 'applied']);
      const record = await t.db.query('SELECT version, data FROM sync_record WHERE mobile_id = $1', [id]);
      expect(record[0]).toMatchObject({ version: 2, data: expect.objectContaining({ step: 2 }) });
    });
  });

  describe('queue status and partial sync', () => {
    it('reports 15 pending items, 5 high, as a healthy queue', async () => {
      const tenant = await t.createTenant();
      const items = [...Array(15)].map((_, i) => pushItem({ priority: i < 5 ? 'high' : 'low' }));
      const enqueued = await push(tenant.syncKey, 'dev-q', items, { mode: 'enqueue' });
      expect(enqueued.body.results.every((r: { status: string }) => r.status === 'queued')).toBe(true);
      expect(enqueued.body.remaining).toBe(15);
      const status = await call(t, 'GET', '/api/v1/sync/queue-status', { key: tenant.syncKey });
      expect(status.body).toEqual({
        pending_items: 15,
        high_priority: 5,
        estimated_sync_time_sec: 3,
        queue_healthy: true,
      });
      const device = await call(t, 'GET', '/api/v1/sync/queue-status', { key: tenant.syncKey, device: 'other-device' });
      expect(device.body.pending_items).toBe(0);
    });

    it('syncs 10 of 20 pending high items and leaves 10', async () => {
      const tenant = await t.createTenant();
      await push(
        tenant.syncKey,
        'dev-p',
        [...Array(20)].map(() => pushItem({ priority: 'high' })),
        { mode: 'enqueue' },
      );
      const partial = await call(t, 'POST', '/api/v1/sync/partial', {
        key: tenant.syncKey,
        device: 'dev-p',
        body: { priority: 'high', max_items: 10, network_quality: 'good' },
      });
      expect(partial.status).toBe(200);
      expect(partial.body.synced_items).toHaveLength(10);
      expect(partial.body).toMatchObject({ remaining: 10, batch_size: 10 });
      expect(partial.body.synced_items.every((i: { status: string }) => i.status === 'applied')).toBe(true);
    });

    it('syncs 10 high items of 50 pending (20 high, 30 low) and leaves 40', async () => {
      const tenant = await t.createTenant();
      const items = [...Array(50)].map((_, i) => pushItem({ priority: i % 5 < 2 ? 'high' : 'low' }));
      await push(tenant.syncKey, 'dev-p', items, { mode: 'enqueue' });
      const partial = await call(t, 'POST', '/api/v1/sync/partial', {
        key: tenant.syncKey,
        device: 'dev-p',
        body: { max_items: 10 },
      });
      expect(partial.body.synced_items).toHaveLength(10);
      expect(partial.body.synced_items.every((i: { priority: string }) => i.priority === 'high')).toBe(true);
      expect(partial.body.remaining).toBe(40);
    });

    it('caps the batch at the network quality’s size and validates the body', async () => {
      const tenant = await t.createTenant();
      await push(
        tenant.syncKey,
        'dev-n',
        [...Array(30)].map(() => pushItem({ priority: 'high' })),
        { mode: 'enqueue' },
      );
      const poor = await call(t, 'POST', '/api/v1/sync/partial', {
        key: tenant.syncKey,
        device: 'dev-n',
        body: { max_items: 100, network_quality: 'poor' },
      });
      expect(poor.body).toMatchObject({ batch_size: 10, remaining: 20 });
      expectErrorBody(
        await call(t, 'POST', '/api/v1/sync/partial', { key: tenant.syncKey, body: { max_items: 0 } }),
        400,
      );
      expectErrorBody(
        await call(t, 'POST', '/api/v1/sync/partial', { key: tenant.syncKey, body: { network_quality: '5g' } }),
        400,
      );
      expectErrorBody(
        await call(t, 'POST', '/api/v1/sync/partial', { key: tenant.syncKey, body: { priority: 'urgent' } }),
        400,
      );
    });
  });

  describe('optimal time', () => {
    it('tells a tenant with 1500 pending items to wait, while another tenant with 100 syncs now', async () => {
      const busy = await t.createTenant('busy');
      const quiet = await t.createTenant('quiet');
      for (let i = 0; i < 3; i++) {
        await push(
          busy.syncKey,
          `dev-${i}`,
          [...Array(500)].map(() => pushItem()),
          { mode: 'enqueue' },
        );
      }
      await push(
        quiet.syncKey,
        'dev-q',
        [...Array(100)].map(() => pushItem()),
        { mode: 'enqueue' },
      );
      const high = await call(t, 'GET', '/api/v1/sync/optimal-time', { key: busy.syncKey });
      expect(high.body).toMatchObject({ server_load: 'high', recommendation: 'sync_in_30min', queue_size: 1500 });
      expect(Date.parse(high.body.next_window_at)).toBeGreaterThan(Date.now() + 29 * 60_000);
      const low = await call(t, 'GET', '/api/v1/sync/optimal-time', { key: quiet.syncKey });
      expect(low.body).toMatchObject({
        server_load: 'low',
        recommendation: 'sync_now',
        queue_size: 100,
        is_peak_hour: expect.any(Boolean),
      });
    });
  });

  describe('pull', () => {
    it('walks a feed of many rows with limit 1 and returns every change exactly once, tombstones included', async () => {
      const tenant = await t.createTenant();
      const items = [...Array(25)].map(() => pushItem());
      await push(tenant.syncKey, 'dev-f', items);
      await push(tenant.syncKey, 'dev-f', [
        pushItem({ mobile_id: items[0].mobile_id, base_version: 1, deleted: true }),
      ]);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 100; page++) {
        const query = `?limit=1${cursor ? `&cursor=${cursor}` : ''}`;
        const result = await call(t, 'GET', `/api/v1/sync/pull${query}`, { key: tenant.syncKey, device: 'dev-g' });
        expect(result.status).toBe(200);
        seen.push(
          ...result.body.changes.map((c: { mobile_id: string; version: number }) => `${c.mobile_id}@${c.version}`),
        );
        cursor = result.body.next_cursor;
        if (!result.body.has_more) break;
      }
      expect(seen).toHaveLength(25);
      expect(new Set(seen).size).toBe(25);
      expect(seen).toContain(`${items[0].mobile_id}@2`);
      const all = await call(t, 'POST', '/api/v1/sync/pull', { key: tenant.syncKey, body: { limit: 1000 } });
      const tombstone = all.body.changes.find((c: { mobile_id: string }) => c.mobile_id === items[0].mobile_id);
      expect(tombstone).toMatchObject({ deleted: true, data: null, version: 2 });
    });

    it('filters by domain, rejects bad cursors and limits, and never shows another tenant', async () => {
      const a = await t.createTenant();
      const b = await t.createTenant();
      await push(a.syncKey, 'dev', [pushItem({ domain: 'ticket' }), pushItem({ domain: 'task' })]);
      await push(b.syncKey, 'dev', [pushItem({ domain: 'ticket' })]);
      const tickets = await call(t, 'GET', '/api/v1/sync/pull?domains=ticket', { key: a.syncKey });
      expect(tickets.body.changes).toHaveLength(1);
      expect(tickets.body.changes[0].domain).toBe('ticket');
      expectErrorBody(await call(t, 'GET', '/api/v1/sync/pull?cursor=bogus', { key: a.syncKey }), 400);
      expectErrorBody(await call(t, 'GET', '/api/v1/sync/pull?limit=0', { key: a.syncKey }), 400);
      expectErrorBody(await call(t, 'GET', '/api/v1/sync/pull?limit=1001', { key: a.syncKey }), 400);
      expectErrorBody(await call(t, 'GET', '/api/v1/sync/pull?domains=invoice', { key: a.syncKey }), 400);
    });

    it('takes domains in a JSON pull body as an array or a comma-separated string, and no body at all', async () => {
      const a = await t.createTenant();
      await push(a.syncKey, 'dev', [pushItem({ domain: 'ticket' }), pushItem({ domain: 'task' })]);
      const pull = (body?: unknown) => call(t, 'POST', '/api/v1/sync/pull', { key: a.syncKey, body });
      const domainsOf = (answer: { body: { changes: Array<{ domain: string }> } }) =>
        answer.body.changes.map((change) => change.domain).sort();
      expect(domainsOf(await pull({ domains: ['ticket'] }))).toEqual(['ticket']);
      expect(domainsOf(await pull({ domains: ['task', 'ticket'] }))).toEqual(['task', 'ticket']);
      expect(domainsOf(await pull({ domains: 'task' }))).toEqual(['task']);
      expect(domainsOf(await pull())).toEqual(['task', 'ticket']);
      expectErrorBody(await pull({ domains: ['invoice'] }), 400);
      expectErrorBody(await pull({ domains: [] }), 400);
      expectErrorBody(await pull({ domains: [1] }), 400);
    });
  });

  it('needs a credential for every sync endpoint', async () => {
    for (const [method, path] of [
      ['POST', '/api/v1/sync/push'],
      ['GET', '/api/v1/sync/queue-status'],
      ['POST', '/api/v1/sync/partial'],
      ['GET', '/api/v1/sync/optimal-time'],
      ['GET', '/api/v1/sync/pull'],
    ]) {
      expectErrorBody(await call(t, method, path, { body: method === 'POST' ? {} : undefined }), 401);
    }
  });
});
