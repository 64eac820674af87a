import { createHmac } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { DeviceHealthService } from '../../src/modules/analytics/device-health.service';
import { healthScore } from '../../src/modules/analytics/health-score.policy';
import { NotificationDeliveryService } from '../../src/modules/notification/notification-delivery.service';
import { deviceId, recordEvent } from '../helpers/sync-events';
import { call, expectErrorBody, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

describe('analytics (HTTP)', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    // The webhook receiver below listens on loopback, which webhook_url refuses unless exempted.
    t = await startTestApp('analytics', { WEBHOOK_ALLOW_HTTP: true, WEBHOOK_ALLOWED_HOSTS: ['127.0.0.1'] });
    a = await t.createTenant('Analytics A');
    b = await t.createTenant('Analytics B');
  });
  afterAll(() => t.close());

  async function snapshotOf(tenant: TestTenant, hours = 1): Promise<Record<string, any>> {
    const created = await call(t, 'POST', '/api/sync/snapshot/create/', {
      key: tenant.adminKey,
      body: { time_window_hours: hours },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ snapshot_id: expect.any(String), status: 'created', timestamp: expect.any(String) });
    const list = await call(t, 'GET', '/api/v1/analytics/snapshots', { key: tenant.adminKey });
    expect(list.status).toBe(200);
    return list.body.find((snapshot: { id: string }) => snapshot.id === created.body.snapshot_id);
  }

  describe('snapshots', () => {
    it('reports 95.0 % for 100 requests with 95 successes and a p95 of 95 ms for durations 1..100', async () => {
      const tenant = await t.createTenant();
      for (let i = 1; i <= 100; i++) {
        await recordEvent(t, tenant.id, {
          device: `d-${i % 7}`,
          user: `u-${i % 3}`,
          durationMs: i,
          status: i <= 95 ? 200 : 500,
          items: 4,
          conflicts: i % 10 === 0 ? 2 : 0,
          bytesRaw: 1000,
          bytesSent: 400,
          bytesSavedDelta: 250,
        });
      }
      await recordEvent(t, tenant.id, { hoursAgo: 3, status: 500 });
      const snapshot = await snapshotOf(tenant);
      expect(snapshot).toMatchObject({
        total_sync_requests: 100,
        successful_syncs: 95,
        failed_syncs: 5,
        success_rate_pct: 95,
        avg_sync_duration_ms: 50.5,
        avg_items_per_sync: 4,
        total_items: 400,
        total_conflicts: 20,
        auto_resolved_conflicts: 20,
        manual_conflicts: 0,
        conflict_rate_pct: 5,
        total_bytes_synced: 40_000,
        bytes_saved_via_delta: 25_000,
        unique_devices: 7,
        unique_users: 3,
        domain_breakdown: { task: { items: 400, conflicts: 20, auto_resolved: 20, manual: 0, conflict_rate_pct: 5 } },
      });
      expect(Math.abs(snapshot.p95_sync_duration_ms - 95)).toBeLessThanOrEqual(1);
      // ((1000 - 400) + 250) / (1000 + 250)
      expect(snapshot.bandwidth_efficiency_pct).toBeCloseTo(68, 6);
    });

    it('reports zeros without a division error for a window without requests', async () => {
      const tenant = await t.createTenant();
      const snapshot = await snapshotOf(tenant, 24);
      expect(snapshot).toMatchObject({
        total_sync_requests: 0,
        success_rate_pct: 0,
        avg_sync_duration_ms: 0,
        p95_sync_duration_ms: 0,
        avg_items_per_sync: 0,
        conflict_rate_pct: 0,
        bandwidth_efficiency_pct: 0,
        unique_devices: 0,
        domain_breakdown: {},
      });
    });

    it('validates time_window_hours (1..720) and rejects unknown properties', async () => {
      for (const body of [{ time_window_hours: 0 }, { time_window_hours: 721 }, { time_window_hours: 'x' }, { x: 1 }]) {
        expectErrorBody(await call(t, 'POST', '/api/sync/snapshot/create', { key: a.adminKey, body }), 400);
      }
      expect((await call(t, 'POST', '/api/sync/snapshot/create', { key: a.adminKey, body: {} })).status).toBe(201);
      expectErrorBody(await call(t, 'POST', '/api/sync/snapshot/create', { key: a.syncKey, body: {} }), 403);
    });
  });

  describe('device health', () => {
    it('scores 100 syncs, 10 failed, 5 conflicts, last an hour ago at about 92.17', async () => {
      const device = deviceId();
      for (let i = 0; i < 100; i++) {
        await recordEvent(t, a.id, {
          device,
          hoursAgo: 1 + (99 - i) / 60,
          failed: i < 10,
          conflicts: i >= 10 && i < 15 ? 1 : 0,
          durationMs: 10 + (i % 2) * 10,
          networkType: 'wifi',
          appVersion: '2.4.1',
        });
      }
      const result = await call(t, 'GET', `/api/sync/device-health/?device_id=${device}`, { key: a.adminKey });
      expect(result.status).toBe(200);
      expect(result.body).toMatchObject({
        device_id: device,
        total_syncs: 100,
        failed_syncs_count: 10,
        conflicts_encountered: 5,
        avg_sync_duration_ms: 15,
        network_type: 'wifi',
        app_version: '2.4.1',
        os_version: null,
      });
      expect(result.body.health_score).toBeCloseTo(92.17, 1);
      const lastSync = new Date(result.body.last_sync_at);
      const expected = healthScore(
        { totalSyncs: 100, failedSyncs: 10, conflicts: 5, lastSyncAt: lastSync },
        new Date(),
      );
      expect(result.body.health_score).toBeCloseTo(expected, 1);
    });

    it('counts a first sync that failed with a conflict as 1 sync, 1 failure, 1 conflict', async () => {
      const device = deviceId();
      await recordEvent(t, a.id, { device, hoursAgo: 0, status: 200, failed: true, conflicts: 1, items: 1 });
      const result = await call(t, 'GET', `/api/sync/device-health?device_id=${device}`, { key: a.adminKey });
      expect(result.body).toMatchObject({ total_syncs: 1, failed_syncs_count: 1, conflicts_encountered: 1 });
      expect(result.body.health_score).toBeCloseTo(20, 0);
    });

    it('scores a perfect device that just synced at 100', async () => {
      const device = deviceId();
      await recordEvent(t, a.id, { device, hoursAgo: 0 });
      const result = await call(t, 'GET', `/api/sync/device-health?device_id=${device}`, { key: a.adminKey });
      expect(result.body.health_score).toBeCloseTo(100, 1);
    });

    it('loses no update when one device records many requests at once', async () => {
      const device = deviceId();
      await Promise.all(
        Array.from({ length: 25 }, (_, i) => recordEvent(t, a.id, { device, failed: i % 5 === 0, conflicts: 1 })),
      );
      const result = await call(t, 'GET', `/api/sync/device-health?device_id=${device}`, { key: a.adminKey });
      expect(result.body).toMatchObject({ total_syncs: 25, failed_syncs_count: 5, conflicts_encountered: 25 });
    });

    it('records admin calls without a device but keeps them out of device health', async () => {
      const tenant = await t.createTenant();
      await recordEvent(t, tenant.id, { device: null, user: null });
      const rows = await t.db.query(`SELECT count(*)::int AS n FROM sync_device_health WHERE tenant_id = $1`, [
        tenant.id,
      ]);
      expect(rows[0].n).toBe(0);
      expect((await snapshotOf(tenant)).total_sync_requests).toBe(1);
    });

    it('shows a sync caller only its own user’s devices and never another tenant’s', async () => {
      const mine = deviceId();
      const colleague = deviceId();
      const other = deviceId();
      await recordEvent(t, a.id, { device: mine, user: 'user-1' });
      await recordEvent(t, a.id, { device: colleague, user: 'user-2' });
      await recordEvent(t, b.id, { device: other, user: 'user-1' });
      const path = (device: string) => `/api/sync/device-health/?device_id=${device}`;
      expect((await call(t, 'GET', path(mine), { key: a.syncKey, device: mine })).status).toBe(200);
      expectErrorBody(await call(t, 'GET', path(colleague), { key: a.syncKey }), 404, 'NOT_FOUND');
      expectErrorBody(await call(t, 'GET', path(other), { key: a.syncKey }), 404, 'NOT_FOUND');
      expect((await call(t, 'GET', path(colleague), { key: a.adminKey })).status).toBe(200);
      expectErrorBody(await call(t, 'GET', path(other), { key: a.adminKey }), 404, 'NOT_FOUND');
      expectErrorBody(await call(t, 'GET', '/api/sync/device-health/', { key: a.adminKey }), 400, 'VALIDATION_FAILED');
      expectErrorBody(await call(t, 'GET', path(mine)), 401);
    });
  });

  describe('dashboard and lists', () => {
    let tenant: TestTenant;
    const devices = { worst: 'dash-worst', bad: 'dash-bad', good: 'dash-good' };

    beforeAll(async () => {
      tenant = await t.createTenant();
      await recordEvent(t, tenant.id, { device: devices.good, hoursAgo: 0.1 });
      // all failed, an hour ago: 0 + 19.17 + 20
      await recordEvent(t, tenant.id, { device: devices.bad, hoursAgo: 1, failed: true });
      // all failed, a day ago, with conflicts: 0 + 0 + 0
      await recordEvent(t, tenant.id, { device: devices.worst, hoursAgo: 30, failed: true, conflicts: 3 });
      await call(t, 'POST', '/api/sync/snapshot/create/', { key: tenant.adminKey, body: { time_window_hours: 48 } });
    });

    it('shows the latest snapshot, the trend and the unhealthy devices lowest first', async () => {
      for (const path of ['/api/sync/dashboard/', '/api/sync/dashboard']) {
        const result = await call(t, 'GET', path, { key: tenant.adminKey });
        expect(result.status).toBe(200);
        expect(result.body.latest_snapshot).toMatchObject({ total_sync_requests: 3, successful_syncs: 1 });
        expect(result.body.trend_7days).toEqual([
          {
            timestamp: result.body.latest_snapshot.window_end,
            success_rate_pct: 33.33,
            conflict_rate_pct: 0,
            p95_sync_duration_ms: 20,
          },
        ]);
        expect(result.body.unhealthy_devices.map((d: { device_id: string }) => d.device_id)).toEqual([
          devices.worst,
          devices.bad,
        ]);
        expect(result.body.unhealthy_devices[0]).toEqual({
          device_id: devices.worst,
          user_id: 'user-1',
          health_score: 0,
          last_sync_at: expect.any(String),
        });
        expect(result.body.conflict_hotspots).toEqual([]);
        expect(result.body.queue).toEqual({ pending_items: 0, high_priority: 0 });
        expect(result.body.open_alerts.map((alert: { kind: string }) => alert.kind)).toEqual(['success_rate_low']);
      }
      expectErrorBody(await call(t, 'GET', '/api/sync/dashboard/', { key: tenant.syncKey }), 403);
    });

    it('counts the tenant’s pending queue items', async () => {
      await t.db.query(
        `INSERT INTO sync_queue_item (tenant_id, device_id, client_mutation_id, payload_hash, domain, mobile_id,
           base_version, payload, priority, status)
         SELECT $1, 'd', 'm-' || g, 'h', 'task', gen_random_uuid(), 0, '{}', g % 3, 'pending'
         FROM generate_series(1, 6) AS g`,
        [tenant.id],
      );
      const result = await call(t, 'GET', '/api/sync/dashboard', { key: tenant.adminKey });
      expect(result.body.queue).toEqual({ pending_items: 6, high_priority: 2 });
      expect((await call(t, 'GET', '/api/sync/dashboard', { key: a.adminKey })).body.queue.pending_items).toBe(0);
    });

    it('pages devices by keyset cursor and filters by max_health', async () => {
      const first = await call(t, 'GET', '/api/v1/analytics/devices?limit=2', { key: tenant.adminKey });
      expect(first.status).toBe(200);
      expect(first.body.items.map((d: { device_id: string }) => d.device_id)).toEqual([devices.bad, devices.good]);
      const second = await call(t, 'GET', `/api/v1/analytics/devices?limit=2&cursor=${first.body.next_cursor}`, {
        key: tenant.adminKey,
      });
      expect(second.body).toEqual({
        items: [expect.objectContaining({ device_id: devices.worst })],
        next_cursor: null,
      });
      const filtered = await call(t, 'GET', '/api/v1/analytics/devices?max_health=50', { key: tenant.adminKey });
      expect(filtered.body.items.map((d: { device_id: string }) => d.device_id)).toEqual([devices.bad, devices.worst]);
      expectErrorBody(await call(t, 'GET', '/api/v1/analytics/devices?cursor=nonsense', { key: tenant.adminKey }), 400);
      expectErrorBody(await call(t, 'GET', '/api/v1/analytics/devices?max_health=101', { key: tenant.adminKey }), 400);
    });

    it('lists snapshots between from and to and alerts by status', async () => {
      const now = Date.now();
      const from = new Date(now - 3_600_000).toISOString();
      const to = new Date(now + 60_000).toISOString();
      const list = await call(t, 'GET', `/api/v1/analytics/snapshots?from=${from}&to=${to}`, { key: tenant.adminKey });
      expect(list.body).toHaveLength(1);
      const old = await call(t, 'GET', `/api/v1/analytics/snapshots?to=${from}`, { key: tenant.adminKey });
      expect(old.body).toEqual([]);
      expectErrorBody(
        await call(t, 'GET', '/api/v1/analytics/snapshots?from=yesterday', { key: tenant.adminKey }),
        400,
      );
      const open = await call(t, 'GET', '/api/v1/analytics/alerts?status=open', { key: tenant.adminKey });
      expect(open.body).toEqual([
        expect.objectContaining({ kind: 'success_rate_low', status: 'open', value: 33.33, threshold: 90 }),
      ]);
      expect((await call(t, 'GET', '/api/v1/analytics/alerts?status=resolved', { key: tenant.adminKey })).body).toEqual(
        [],
      );
      expect((await call(t, 'GET', '/api/v1/analytics/alerts', { key: b.adminKey })).body).toEqual([]);
    });
  });

  describe('alerts and webhooks', () => {
    let server: Server;
    let webhookUrl: string;
    const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
    let failNext = 0;

    beforeAll(async () => {
      server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
          response.statusCode = failNext-- > 0 ? 500 : 204;
          response.end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    async function tenantWithWebhook(secret: string): Promise<TestTenant> {
      const tenant = await t.createTenant();
      const patched = await call(t, 'PATCH', '/api/v1/tenant', {
        key: tenant.adminKey,
        body: { webhook_url: webhookUrl, webhook_secret: secret },
      });
      expect(patched.status).toBe(200);
      return tenant;
    }

    async function outbox(tenantId: string): Promise<Array<Record<string, any>>> {
      return t.db.query(
        `SELECT id, kind, status, attempts, next_attempt_at, last_error FROM notification_outbox WHERE tenant_id = $1`,
        [tenantId],
      );
    }

    it('opens one alert per kind, signs its webhook and resolves it when the rate recovers', async () => {
      const secret = 'alert-secret-0123456789';
      const tenant = await tenantWithWebhook(secret);
      for (let i = 0; i < 10; i++)
        await recordEvent(t, tenant.id, { failed: i < 5, items: 10, conflicts: i < 5 ? 5 : 0 });
      await call(t, 'POST', '/api/sync/snapshot/create', { key: tenant.adminKey, body: {} });
      await call(t, 'POST', '/api/sync/snapshot/create', { key: tenant.adminKey, body: { time_window_hours: 2 } });
      const open = await call(t, 'GET', '/api/v1/analytics/alerts?status=open', { key: tenant.adminKey });
      expect(open.body.map((alert: { kind: string }) => alert.kind).sort()).toEqual([
        'conflict_rate_high',
        'success_rate_low',
      ]);
      expect((await outbox(tenant.id)).map((row) => row.kind)).toEqual(['alert', 'alert']);

      received.length = 0;
      const delivered = await t.app.get(NotificationDeliveryService).deliverDue();
      expect(delivered).toMatchObject({ delivered: 2, retried: 0 });
      const mine = received.filter((r) => JSON.parse(r.body).tenant_id === tenant.id);
      expect(mine).toHaveLength(2);
      for (const request of mine) {
        const expected = createHmac('sha256', secret).update(request.body).digest('hex');
        expect(request.headers['x-fieldsync-signature']).toBe(`sha256=${expected}`);
        expect(request.headers['x-fieldsync-delivery']).toBe(JSON.parse(request.body).id);
        expect(JSON.parse(request.body)).toMatchObject({ kind: 'alert', payload: { alert: { status: 'open' } } });
      }
      expect((await outbox(tenant.id)).every((row) => row.status === 'delivered')).toBe(true);

      for (let i = 0; i < 200; i++) await recordEvent(t, tenant.id, { hoursAgo: 0.05, items: 10 });
      await call(t, 'POST', '/api/sync/snapshot/create', { key: tenant.adminKey, body: {} });
      expect((await call(t, 'GET', '/api/v1/analytics/alerts?status=open', { key: tenant.adminKey })).body).toEqual([]);
      const resolved = await call(t, 'GET', '/api/v1/analytics/alerts?status=resolved', { key: tenant.adminKey });
      expect(resolved.body).toHaveLength(2);
      expect(resolved.body[0].resolved_at).toEqual(expect.any(String));
    });

    it('retries a webhook that failed with exponential backoff until it succeeds', async () => {
      const tenant = await tenantWithWebhook('retry-secret-0123456789');
      for (let i = 0; i < 4; i++) await recordEvent(t, tenant.id, { failed: true });
      await call(t, 'POST', '/api/sync/snapshot/create', { key: tenant.adminKey, body: {} });
      const delivery = t.app.get(NotificationDeliveryService);
      await delivery.deliverDue(); // other tenants' leftovers
      received.length = 0;
      failNext = 1;
      // Due at a JavaScript instant, not at the database's now(): now() has microseconds, a Date only milliseconds,
      // so a row stamped with now() could be due a fraction of a millisecond after `now`.
      const now = new Date();
      await t.db.query(
        `UPDATE notification_outbox SET status = 'pending', attempts = 0, next_attempt_at = $2
                        WHERE tenant_id = $1`,
        [tenant.id, now],
      );
      expect(await delivery.deliverDue(now)).toMatchObject({ delivered: 0, retried: 1 });
      const [afterFailure] = await outbox(tenant.id);
      expect(afterFailure).toMatchObject({ status: 'pending', attempts: 1, last_error: 'webhook answered 500' });
      expect(new Date(afterFailure.next_attempt_at).getTime()).toBe(now.getTime() + 10_000);
      expect(await delivery.deliverDue(now)).toMatchObject({ delivered: 0, retried: 0 });
      expect(await delivery.deliverDue(new Date(now.getTime() + 10_000))).toMatchObject({ delivered: 1 });
      expect((await outbox(tenant.id))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
      expect(received).toHaveLength(2);
      expect(received[1].body).toBe(received[0].body);
    });

    it('marks notifications of a tenant without webhook as skipped', async () => {
      const tenant = await t.createTenant();
      for (let i = 0; i < 2; i++) await recordEvent(t, tenant.id, { failed: true });
      await call(t, 'POST', '/api/sync/snapshot/create', { key: tenant.adminKey, body: {} });
      await t.app.get(NotificationDeliveryService).deliverDue();
      expect((await outbox(tenant.id)).map((row) => row.status)).toEqual(['skipped']);
    });
  });

  describe('metrics', () => {
    it('exposes Prometheus metrics by route pattern, sync figures and the queue depth', async () => {
      await call(t, 'GET', `/api/sync/device-health/?device_id=${deviceId()}`, { key: a.adminKey });
      await recordEvent(t, a.id, { items: 7, conflicts: 2, domain: 'ticket', bytesSent: 300, bytesRaw: 900 });
      const result = await call(t, 'GET', '/metrics');
      expect(result.status).toBe(200);
      expect(result.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = String(result.body);
      expect(text).toMatch(
        /fieldsync_http_requests_total\{method="GET",route="\/api\/sync\/device-health",status="404"\} \d+/,
      );
      expect(text).not.toMatch(/route="[^"]*device_id=/);
      expect(text).toMatch(/fieldsync_http_request_duration_seconds_bucket\{/);
      expect(text).toMatch(/fieldsync_sync_conflicts_total\{domain="ticket",result="auto_resolved"\} 2/);
      expect(text).toMatch(/fieldsync_sync_items_total\{kind="push"\} \d+/);
      expect(text).toMatch(/fieldsync_sync_bytes_saved_total\{source="compression"\} \d+/);
      expect(text).toMatch(/fieldsync_queue_pending_items\{priority="high"\} \d+/);
    });
  });

  it('keeps the score SQL and the pure function in agreement', async () => {
    const service = t.app.get(DeviceHealthService);
    const rows: Array<{ device_id: string }> = await t.app
      .get(DataSource)
      .query(`SELECT device_id FROM sync_device_health WHERE tenant_id = $1`, [a.id]);
    const now = new Date();
    for (const { device_id } of rows.slice(0, 10)) {
      const dto = await service.deviceHealth(
        { tenantId: a.id, userId: null, scopes: ['admin'], deviceId: null, credentialId: 'x' },
        device_id,
        now,
      );
      const expected = healthScore(
        {
          totalSyncs: dto.total_syncs,
          failedSyncs: dto.failed_syncs_count,
          conflicts: dto.conflicts_encountered,
          lastSyncAt: new Date(dto.last_sync_at),
        },
        now,
      );
      expect(dto.health_score).toBeCloseTo(expected, 1);
    }
  });
});
