import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';
import { pushItem, taskData, ticketData } from '../factories/records';

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the end-to-end path: pushes with conflicts → events → snapshot → dashboard', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let other: TestTenant;

  beforeAll(async () => {
    t = await startTestApp('sync_analytics');
    tenant = await t.createTenant();
    other = await t.createTenant();
  });
  afterAll(() => t.close());

  const push = (key: string, device: string, items: unknown[], extra: object = {}) =>
    call(t, 'POST', '/api/v1/sync/push', { key, device, body: { items, ...extra } });

  it('records one event per push, pull and partial, then shows the snapshot, both hotspots and unhealthy devices', async () => {
    const tasks = [...Array(4)].map(() => pushItem({ domain: 'task', data: taskData() }));
    const tickets = [...Array(4)].map(() => pushItem({ domain: 'ticket', data: ticketData() }));
    await push(tenant.syncKey, 'tablet-a', [...tasks, ...tickets], {
      device_info: { network_type: '4g', app_version: '5.2.0', os_version: 'Android 14' },
    });
    // The server moves on (escalation, completion: supervisor-only ticket fields, so an admin console) ...
    await push(tenant.adminKey, 'tablet-a', [
      ...tasks.map((i) =>
        pushItem({
          domain: 'task',
          mobile_id: i.mobile_id,
          base_version: 1,
          data: taskData({ jobstatus: 'INPROGRESS' }),
          client_updated_at: '2025-09-28T12:00:00Z',
        }),
      ),
      ...tickets.map((i) =>
        pushItem({
          domain: 'ticket',
          mobile_id: i.mobile_id,
          base_version: 1,
          data: ticketData({
            status: 'INPROGRESS',
            escalation_level: 2,
            escalated_at: '2025-09-28T11:40:00Z',
            escalated_by: 'system',
          }),
        }),
      ),
    ]);
    // ... while another technician edits the old versions offline, on a 2G phone.
    for (let round = 0; round < 3; round++) {
      await push(
        tenant.syncKey,
        'phone-2g',
        [
          ...tasks.map((i) =>
            pushItem({
              domain: 'task',
              mobile_id: i.mobile_id,
              base_version: 1,
              data: taskData({ remarks: `r${round}` }),
              client_updated_at: '2025-09-28T11:00:00Z',
            }),
          ),
          ...tickets.map((i) =>
            pushItem({
              domain: 'ticket',
              mobile_id: i.mobile_id,
              base_version: 1,
              data: ticketData({ comments: `c${round}` }),
            }),
          ),
        ],
        { device_info: { network_type: '2g' } },
      );
    }
    // Three retries that reuse a mutation id with another payload fail (409): the phone's health drops.
    const reused = pushItem();
    await push(tenant.syncKey, 'phone-2g', [reused]);
    for (let n = 0; n < 3; n++) {
      expect((await push(tenant.syncKey, 'phone-2g', [{ ...reused, data: taskData({ n }) }])).status).toBe(409);
    }
    await push(other.syncKey, 'other-dev', [pushItem()]);
    await call(t, 'GET', '/api/v1/sync/pull?limit=5', { key: tenant.syncKey, device: 'phone-2g' });
    await call(t, 'POST', '/api/v1/sync/partial', { key: tenant.syncKey, device: 'phone-2g', body: {} });

    const events: any[] = await eventually(
      () =>
        t.db.query(
          `SELECT kind, device_id, items, conflicts, bytes_raw, network_type FROM sync_event WHERE tenant_id = $1 ORDER BY id`,
          [tenant.id],
        ),
      (rows: any[]) => rows.length >= 11,
    );
    expect(events.map((e: { kind: string }) => e.kind)).toEqual([...Array(9).fill('push'), 'pull', 'partial']);
    expect(events.slice(2, 5).map((e: { conflicts: number }) => e.conflicts)).toEqual([8, 8, 8]);
    expect(events[0]).toMatchObject({ items: 8, network_type: '4g' });
    expect(events.every((e: { bytes_raw: string }) => Number(e.bytes_raw) > 0)).toBe(true);

    const created = await call(t, 'POST', '/api/sync/snapshot/create/', {
      key: tenant.adminKey,
      body: { time_window_hours: 1 },
    });
    expect(created.status).toBe(201);
    const dashboard = await call(t, 'GET', '/api/sync/dashboard/', { key: tenant.adminKey });
    expect(dashboard.status).toBe(200);
    const snapshot = dashboard.body.latest_snapshot;
    expect(snapshot).toMatchObject({
      total_sync_requests: 11,
      failed_syncs: 3,
      total_conflicts: 24,
      unique_devices: 2,
    });
    expect(snapshot.conflict_rate_pct).toBeCloseTo((24 / 44) * 100, 1);
    expect(snapshot.domain_breakdown.task).toMatchObject({ conflicts: 12 });
    expect(snapshot.domain_breakdown.ticket).toMatchObject({ conflicts: 12 });
    expect(dashboard.body.conflict_hotspots).toEqual(
      expect.arrayContaining([
        { domain: 'task', conflict_count: 12 },
        { domain: 'ticket', conflict_count: 12 },
      ]),
    );
    const unhealthy = dashboard.body.unhealthy_devices;
    expect(unhealthy.map((d: { device_id: string }) => d.device_id)).toContain('phone-2g');
    const scores = unhealthy.map((d: { health_score: number }) => d.health_score);
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
    const health = await call(t, 'GET', '/api/sync/device-health/?device_id=phone-2g', { key: tenant.syncKey });
    expect(health.body).toMatchObject({
      device_id: 'phone-2g',
      total_syncs: 9,
      failed_syncs_count: 3,
      conflicts_encountered: 24,
      network_type: expect.any(String),
    });
    expect(
      (await call(t, 'GET', '/api/sync/device-health/?device_id=other-dev', { key: tenant.adminKey })).status,
    ).toBe(404);
  });
});
