import { SyncPurgeService } from '../../src/modules/sync/sync-purge.service';
import { pushItem, taskData } from '../factories/records';
import { Phone } from '../helpers/phone';
import { call, expectErrorBody, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

describe('devices that come back after a long time, and first syncs', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('resync');
  });
  afterAll(() => t.close());

  const push = async (tenant: TestTenant, device: string, items: ReturnType<typeof pushItem>[]) => {
    const result = await call(t, 'POST', '/api/v1/sync/push', { key: tenant.syncKey, device, body: { items } });
    expect(result.status).toBe(200);
    return result.body.results as Array<{ status: string; server_version: number; record?: unknown }>;
  };

  /** The tenant's live records as the server holds them. */
  const serverRecords = async (tenantId: string): Promise<Map<string, number>> => {
    const rows: Array<{ id: string; version: number }> = await t.db.query(
      `SELECT domain || ':' || mobile_id AS id, version FROM sync_record WHERE tenant_id = $1 AND NOT deleted`,
      [tenantId],
    );
    return new Map(rows.map((row) => [row.id, row.version]));
  };

  const held = (phone: Phone): Map<string, number> =>
    new Map([...phone.records].map(([id, record]) => [id, record.version]));

  /** Tombstones old enough to purge, and a device last seen long ago. */
  const age = async (tenantId: string, staleDevices: string[]): Promise<void> => {
    await t.db.query(
      `UPDATE sync_record SET updated_at = now() - interval '10 days' WHERE tenant_id = $1 AND deleted`,
      [tenantId],
    );
    await t.db.query(
      `UPDATE sync_device_cursor SET seen_at = now() - interval '40 days'
       WHERE tenant_id = $1 AND device_id = ANY($2::text[])`,
      [tenantId, staleDevices],
    );
  };

  const tombstones = async (tenantId: string): Promise<number> =>
    (await t.db.query(`SELECT count(*)::int AS n FROM sync_record WHERE tenant_id = $1 AND deleted`, [tenantId]))[0].n;

  it('answers 410 below the horizon; after the replacement sync the phone holds exactly the server records, and its offline edit still applies', async () => {
    const tenant = await t.createTenant();
    const items = [...Array(6)].map(() => pushItem({ data: taskData({ remarks: 'v1' }) }));
    await push(tenant, 'phone-a', items);
    const phone = new Phone(t, tenant.syncKey, 'phone-a');
    expect(await phone.pullAll(4)).toBe(200);
    const oldCursor = phone.cursor;

    // Offline on phone-a: an edit of the record the office will also change.
    const offline = pushItem({
      mobile_id: items[0].mobile_id,
      base_version: 1,
      data: taskData({ remarks: 'edited offline on phone-a' }),
      client_updated_at: new Date(Date.now() + 60_000).toISOString(),
    });

    // Meanwhile: the office edits one, deletes two, creates two.
    await push(tenant, 'office', [
      pushItem({ mobile_id: items[0].mobile_id, base_version: 1, data: taskData({ gracetime: 30 }) }),
      pushItem({ mobile_id: items[1].mobile_id, base_version: 1, deleted: true }),
      pushItem({ mobile_id: items[2].mobile_id, base_version: 1, deleted: true }),
      pushItem(),
      pushItem(),
    ]);
    const office = new Phone(t, tenant.syncKey, 'office');
    expect(await office.pullAll()).toBe(200);
    expect(await office.pullAll()).toBe(200);
    await age(tenant.id, ['phone-a']);

    const outcome = await t.app.get(SyncPurgeService).runPurge();
    expect(outcome?.tombstones).toBeGreaterThanOrEqual(2);
    expect(await tombstones(tenant.id)).toBe(0);

    phone.cursor = oldCursor;
    const gone = await phone.pullPage();
    expect(gone.status).toBe(410);
    expectErrorBody({ status: gone.status, body: gone.body } as never, 410, 'RESYNC_REQUIRED');

    // Without the replacement the phone would keep the two deleted records forever.
    expect(phone.records.has(`task:${items[1].mobile_id}`)).toBe(true);
    await phone.replace(2);
    expect(await phone.pullAll()).toBe(200);
    expect(held(phone)).toEqual(await serverRecords(tenant.id));

    const [result] = await push(tenant, 'phone-a', [offline]);
    expect(['applied', 'resolved']).toContain(result.status);
    const [row] = await t.db.query(`SELECT version, data FROM sync_record WHERE tenant_id = $1 AND mobile_id = $2`, [
      tenant.id,
      items[0].mobile_id,
    ]);
    expect(row.version).toBe(3);
    expect(row.data.remarks).toBe('edited offline on phone-a');
    expect(await phone.pullAll()).toBe(200);
    expect(held(phone)).toEqual(await serverRecords(tenant.id));
  });

  it('never purges a tombstone an active device has not pulled yet', async () => {
    const tenant = await t.createTenant();
    const items = [...Array(3)].map(() => pushItem());
    await push(tenant, 'writer', items);
    const lagging = new Phone(t, tenant.syncKey, 'lagging');
    expect(await lagging.pullAll()).toBe(200);
    await push(tenant, 'writer', [pushItem({ mobile_id: items[0].mobile_id, base_version: 1, deleted: true })]);
    const writer = new Phone(t, tenant.syncKey, 'writer');
    expect(await writer.pullAll()).toBe(200);
    expect(await writer.pullAll()).toBe(200);
    await age(tenant.id, []);

    await t.app.get(SyncPurgeService).runPurge();
    expect(await tombstones(tenant.id)).toBe(1);
    expect(await lagging.pullAll()).toBe(200);
    expect(lagging.records.has(`task:${items[0].mobile_id}`)).toBe(false);

    // Once it has pulled past the tombstone (its next pull acknowledges that), the tombstone may go.
    expect(await lagging.pullAll()).toBe(200);
    await t.app.get(SyncPurgeService).runPurge();
    expect(await tombstones(tenant.id)).toBe(0);
    expect(await lagging.pullAll()).toBe(200);
  });

  it('keeps young tombstones even when no device is active', async () => {
    const tenant = await t.createTenant();
    const [item] = [pushItem()];
    await push(tenant, 'writer', [item]);
    await push(tenant, 'writer', [pushItem({ mobile_id: item.mobile_id, base_version: 1, deleted: true })]);
    await t.app.get(SyncPurgeService).runPurge();
    expect(await tombstones(tenant.id)).toBe(1);
  });

  it('sends open work first, newest first, then history, with an estimated total', async () => {
    const tenant = await t.createTenant();
    const done = pushItem({ data: taskData({ jobstatus: 'COMPLETED' }) });
    const older = pushItem({ data: taskData({ jobstatus: 'ASSIGNED' }) });
    const newer = pushItem({ data: taskData({ jobstatus: 'INPROGRESS' }) });
    await push(tenant, 'w', [done]);
    await push(tenant, 'w', [older]);
    await push(tenant, 'w', [newer]);
    const deleted = pushItem();
    await push(tenant, 'w', [deleted]);
    await push(tenant, 'w', [pushItem({ mobile_id: deleted.mobile_id, base_version: 1, deleted: true })]);

    const first = await call(t, 'GET', '/api/v1/sync/snapshot?limit=2', { key: tenant.syncKey, device: 'new' });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      changes: [
        expect.objectContaining({ mobile_id: newer.mobile_id }),
        expect.objectContaining({ mobile_id: older.mobile_id }),
      ],
      next_cursor: expect.any(String),
      has_more: true,
      estimated_total: 3,
      snapshot_seq: expect.any(Number),
    });
    const again = await call(t, 'GET', '/api/v1/sync/snapshot?limit=2', { key: tenant.syncKey, device: 'new' });
    expect(again.body.changes).toEqual(first.body.changes);
    const second = await call(t, 'GET', `/api/v1/sync/snapshot?limit=2&cursor=${first.body.next_cursor}`, {
      key: tenant.syncKey,
      device: 'new',
    });
    expect(second.body.changes.map((c: { mobile_id: string }) => c.mobile_id)).toEqual([done.mobile_id]);
    expect(second.body.has_more).toBe(false);
    // The last cursor is a feed cursor: the pull after it is empty (nothing changed since the snapshot).
    const pull = await call(t, 'GET', `/api/v1/sync/pull?cursor=${second.body.next_cursor}`, {
      key: tenant.syncKey,
      device: 'new',
    });
    expect(pull.status).toBe(200);
    expect(pull.body.changes).toEqual([]);
    expectErrorBody(await call(t, 'GET', '/api/v1/sync/snapshot?cursor=bogus', { key: tenant.syncKey }), 400);
    expectErrorBody(await call(t, 'GET', '/api/v1/sync/snapshot?limit=0', { key: tenant.syncKey }), 400);
  });

  it('lists every device with its position, last seen and how far behind it is', async () => {
    const tenant = await t.createTenant();
    await push(tenant, 'w', [pushItem(), pushItem()]);
    const phone = new Phone(t, tenant.syncKey, 'phone-1');
    expect(await phone.pullAll()).toBe(200);
    await push(tenant, 'w', [pushItem(), pushItem(), pushItem()]);
    expect(await phone.pullPage(1)).toMatchObject({ status: 200 });
    const list = await call(t, 'GET', '/api/v1/sync/devices?limit=1', { key: tenant.adminKey });
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      devices: [
        {
          user_id: 'user-1',
          device_id: 'phone-1',
          position: expect.any(Number),
          last_seen_at: expect.any(String),
          behind_by: 3,
          behind_by_capped: false,
          resync_required: false,
        },
      ],
      purge_horizon: 0,
      next_cursor: null,
    });
    expectErrorBody(await call(t, 'GET', '/api/v1/sync/devices', { key: tenant.syncKey }), 403);
  });
});
