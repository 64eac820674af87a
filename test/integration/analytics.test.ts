import { SchedulerRegistry } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { ENTITIES } from '../../src/entities';
import { ANALYTICS_SCHEDULES } from '../../src/modules/analytics/analytics.scheduler';
import { DeviceHealthService } from '../../src/modules/analytics/device-health.service';
import { ReportService } from '../../src/modules/analytics/report.service';
import { RetentionService, SYNC_EVENT_PARTITIONS } from '../../src/modules/analytics/retention.service';
import { DAY_MS } from '../../src/common/time/instant';
import { createDayPartition, listPartitions, partitionName, utcDay } from '../../src/database/time-partitions';
import { SnapshotService } from '../../src/modules/analytics/snapshot.service';
import { recordEvent } from '../helpers/sync-events';
import { startTestApp, TestApp } from '../helpers/test-app';
import { useCliHarness } from '../helpers/cli-harness';
import { createTestDatabase, describeWithPostgres, TestDatabase } from '../helpers/test-database';

const HOUR_MS = 3_600_000;
/**
 * The scheduler's clock for events seeded at `seededAt`: the aligned hourly window ending at the first whole hour
 * after `seededAt` contains them, whenever the test runs (two wall-clock readings fail across a whole hour).
 */
const hourAfter = (seededAt: Date): Date => new Date(seededAt.getTime() + HOUR_MS);

async function snapshotCounts(db: DataSource, tenantIds: string[]): Promise<number[]> {
  const rows: Array<{ tenant_id: string; n: number }> = await db.query(
    `SELECT tenant_id, count(*)::int AS n FROM sync_analytics_snapshot WHERE tenant_id = ANY($1) GROUP BY tenant_id`,
    [tenantIds],
  );
  return tenantIds.map((id) => rows.find((row) => row.tenant_id === id)?.n ?? 0);
}

describe('analytics services', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('analytics_service', { ALERT_UNHEALTHY_DEVICES_MAX: 2 });
  });
  afterAll(() => t.close());

  it('takes the scheduled snapshot once per tenant and aligned window, however often it runs', async () => {
    const tenants = [await t.createTenant(), await t.createTenant()];
    const seededAt = new Date();
    for (const tenant of tenants) await recordEvent(t, tenant.id, { hoursAgo: 0, at: seededAt });
    const now = hourAfter(seededAt);
    const service = t.app.get(SnapshotService);
    const first = await service.runScheduledSnapshots(now);
    const second = await service.runScheduledSnapshots(new Date(now.getTime() + 60_000));
    const mine = (results: typeof first) => results!.filter((r) => tenants.some((x) => x.id === r.tenantId));
    expect(mine(first).map((r) => r.created)).toEqual([true, true]);
    expect(mine(second).map((r) => r.created)).toEqual([false, false]);
    expect(
      await snapshotCounts(
        t.db,
        tenants.map((x) => x.id),
      ),
    ).toEqual([1, 1]);
    const snapshot = mine(first)[0].snapshot!;
    expect(snapshot.total_sync_requests).toBe(1);
    expect(snapshot.window_end.getTime() % HOUR_MS).toBe(0);
    expect(snapshot.window_end.getTime() - snapshot.window_start.getTime()).toBe(HOUR_MS);
  });

  it('stores device scores and raises the unhealthy_devices alert in the daily check', async () => {
    const tenant = await t.createTenant();
    for (let i = 0; i < 3; i++) await recordEvent(t, tenant.id, { device: `sick-${i}`, failed: true, hoursAgo: 30 });
    await recordEvent(t, tenant.id, { device: 'fine', hoursAgo: 0 });
    const service = t.app.get(DeviceHealthService);
    const progress: Array<{ tenantId: string; below: number }> = [];
    const results = await service.runDeviceHealthCheck(70, (result) =>
      progress.push({ tenantId: result.tenantId, below: result.devices.length }),
    );
    const mine = results!.find((r) => r.tenantId === tenant.id)!;
    expect(mine.devices.map((d) => d.device_id)).toEqual(['sick-0', 'sick-1', 'sick-2']);
    expect(mine.openedAlerts.map((a) => a.kind)).toEqual(['unhealthy_devices']);
    expect(progress).toContainEqual({ tenantId: tenant.id, below: 3 });
    const stored = await t.db.query(
      `SELECT device_id, health_score FROM sync_device_health WHERE tenant_id = $1 ORDER BY device_id`,
      [tenant.id],
    );
    expect(stored.map((row: { health_score: number }) => Math.round(row.health_score))).toEqual([100, 20, 20, 20]);
    const outbox = await t.db.query(`SELECT kind FROM notification_outbox WHERE tenant_id = $1`, [tenant.id]);
    expect(outbox).toEqual([{ kind: 'alert' }]);
    // the alert stays open (not duplicated) on the next check
    await service.runDeviceHealthCheck(70);
    const open = await t.db.query(`SELECT count(*)::int AS n FROM sync_alert WHERE tenant_id = $1`, [tenant.id]);
    expect(open[0].n).toBe(1);
  });

  it('stores the weekly conflict report once per tenant and period', async () => {
    const now = new Date();
    const service = t.app.get(ReportService);
    const results = await service.conflictReports(7, { store: true, now });
    expect(results!.length).toBeGreaterThan(0);
    expect(results!.every((result) => result.report !== null && result.stored)).toBe(true);
    const again = await service.conflictReports(7, { store: true, now });
    expect(again!.every((result) => !result.stored)).toBe(true);
    const stored = await t.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT tenant_id)::int AS tenants FROM sync_report`,
    );
    expect(stored[0].n).toBe(results!.length);
    expect(stored[0].tenants).toBe(results!.length);
  });

  it('drops whole daily partitions past the retention and keeps recent ones', async () => {
    const tenant = await t.createTenant();
    const now = new Date();
    const day = (daysAgo: number) => utcDay(new Date(now.getTime() - daysAgo * DAY_MS));
    // rows of days without a partition land in the default one; creating the partition moves them into it
    await recordEvent(t, tenant.id, { hoursAgo: 24 * 95 });
    await recordEvent(t, tenant.id, { hoursAgo: 24 * 89 });
    await recordEvent(t, tenant.id, { hoursAgo: 24 * 120 });
    for (const daysAgo of [95, 89]) await createDayPartition(t.db, SYNC_EVENT_PARTITIONS, day(daysAgo));
    const inDefault = await t.db.query(`SELECT count(*)::int AS n FROM sync_event_default WHERE tenant_id = $1`, [
      tenant.id,
    ]);
    expect(inDefault[0].n).toBe(1);
    const result = await t.app.get(RetentionService).runRetention(now);
    expect(result!.partitions).toBeGreaterThanOrEqual(1);
    expect(result!.events).toBeGreaterThanOrEqual(1);
    const names = (await listPartitions(t.db, SYNC_EVENT_PARTITIONS)).map((p) => p.name);
    expect(names).not.toContain(partitionName('sync_event', day(95)));
    expect(names).toContain(partitionName('sync_event', day(89)));
    const left = await t.db.query(`SELECT count(*)::int AS n FROM sync_event WHERE tenant_id = $1`, [tenant.id]);
    expect(left[0].n).toBe(1);
  });

  it('has the partitions of today and the next days from startup, and creates them only once', async () => {
    const names = (await listPartitions(t.db, SYNC_EVENT_PARTITIONS)).map((p) => p.name);
    for (let i = 0; i <= 7; i++) {
      expect(names).toContain(partitionName('sync_event', utcDay(new Date(Date.now() + i * DAY_MS))));
    }
    expect(await t.app.get(RetentionService).ensurePartitions()).toEqual([]);
    const ahead = await t.app.get(RetentionService).ensurePartitions(new Date(Date.now() + DAY_MS));
    expect(ahead).toHaveLength(1);
  });
});

describe('analytics schedules', () => {
  it('registers every task when SCHEDULER_ENABLED and none otherwise', async () => {
    const scheduled = await startTestApp('analytics_schedules', { SCHEDULER_ENABLED: true });
    try {
      const registry = scheduled.app.get(SchedulerRegistry);
      const crons = registry.getCronJobs();
      expect([...crons.keys()].sort()).toEqual([
        'analytics-conflict-report',
        'analytics-device-health',
        'analytics-hourly-snapshot',
        'analytics-partitions',
        'analytics-retention',
        'queue-result-retention',
        'scope-apply-rules',
        'scope-change-partitions',
        'scope-daily-check',
        'sync-history-purge',
      ]);
      expect(crons.get('analytics-hourly-snapshot')!.cronTime.source).toBe(ANALYTICS_SCHEDULES.hourlySnapshot);
      expect(registry.getIntervals().sort()).toEqual(['metrics-gauges', 'notification-outbox-delivery', 'queue-drain']);
    } finally {
      await scheduled.close();
    }
    const unscheduled = await startTestApp('analytics_no_schedules');
    try {
      expect(() => unscheduled.app.get(SchedulerRegistry, { strict: false })).toThrow();
    } finally {
      await unscheduled.close();
    }
  });
});

describeWithPostgres('analytics on two replicas of one database', () => {
  let database: TestDatabase;
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase('analytics_replicas');
    one = await startTestApp('analytics_replicas', {}, { database });
    two = await startTestApp('analytics_replicas', { MIGRATIONS_RUN: false }, { database });
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await database?.drop();
  });

  it('creates one snapshot per tenant and window when both run the hourly task at once', async () => {
    const tenants = [await one.createTenant(), await one.createTenant(), await one.createTenant()];
    const seededAt = new Date();
    for (const tenant of tenants) await recordEvent(one, tenant.id, { hoursAgo: 0, failed: true, at: seededAt });
    const now = hourAfter(seededAt);
    const runs = await Promise.all(
      [one, two, one, two].map((app) => app.app.get(SnapshotService).runScheduledSnapshots(now)),
    );
    expect(runs.filter((run) => run !== undefined).length).toBeGreaterThanOrEqual(1);
    expect(
      await snapshotCounts(
        one.db,
        tenants.map((x) => x.id),
      ),
    ).toEqual([1, 1, 1]);
  });

  it('never opens the same alert twice when replicas snapshot a failing tenant at once', async () => {
    const tenant = await one.createTenant();
    await recordEvent(one, tenant.id, { hoursAgo: 0, failed: true });
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? one : two).app.get(SnapshotService).createSnapshot(tenant.id, 1 + i),
      ),
    );
    const alerts = await one.db.query(`SELECT kind, status FROM sync_alert WHERE tenant_id = $1`, [tenant.id]);
    expect(alerts).toEqual([{ kind: 'success_rate_low', status: 'open' }]);
  });
});

describe('analytics command line', () => {
  const cli = useCliHarness('analytics_cli');
  const run = (...argv: string[]) => cli.run(...argv);

  /** Seeds sync_event rows while no CLI holds the (embedded) database. */
  async function seedEvents(tenantId: string, rows: Array<{ device: string; success: boolean; hoursAgo: number }>) {
    const db = await new DataSource(dataSourceOptions(AppConfig.fromEnv(cli.env()), ENTITIES)).initialize();
    try {
      for (const row of rows) {
        await db.query(
          `INSERT INTO sync_event (tenant_id, occurred_at, kind, device_id, user_id, success, duration_ms, items)
           VALUES ($1, now() - make_interval(secs => $4 * 3600.0), 'push', $2, 'u-1', $3, 12, 3)`,
          [tenantId, row.device, row.success, row.hoursAgo],
        );
        await db.query(
          `INSERT INTO sync_device_health (tenant_id, device_id, user_id, last_sync_at, total_syncs, failed_syncs_count)
           VALUES ($1, $2, 'u-1', now() - make_interval(secs => $4 * 3600.0), 1, CASE WHEN $3 THEN 0 ELSE 1 END)
           ON CONFLICT ON CONSTRAINT pk_sync_device_health DO NOTHING`,
          [tenantId, row.device, row.success, row.hoursAgo],
        );
      }
    } finally {
      await db.destroy();
    }
  }

  it('creates snapshots for all tenants or one, checks device health and reports conflicts', async () => {
    expect((await run('migration:run')).code).toBe(0);
    const first = JSON.parse((await run('tenant:create', '--name', 'North')).out).tenant_id as string;
    const second = JSON.parse((await run('tenant:create', '--name', 'South')).out).tenant_id as string;
    await seedEvents(first, [
      { device: 'n-1', success: true, hoursAgo: 0.2 },
      { device: 'n-2', success: false, hoursAgo: 30 },
    ]);

    const all = await run('create-sync-snapshot', '--tenant-id=all', '--hours', '1');
    expect(all.code).toBe(0);
    expect(all.out).toMatch(new RegExp(`\\[1/2\\] tenant ${first}: snapshot \\d+, 1 requests, success 100\\.0 %`));
    expect(all.out).toMatch(new RegExp(`\\[2/2\\] tenant ${second}: snapshot \\d+, 0 requests, success 0\\.0 %`));
    expect(all.out).toMatch(/2 snapshots of the last 1 h created/);

    const one = await run('create-sync-snapshot', `--tenant-id=${first}`, '--hours=48');
    expect(one.out).toMatch(/\[1\/1\] .* 2 requests, success 50\.0 %, conflicts 0\.0 %, alerts: success_rate_low/);

    const health = await run('check-device-health', '--threshold=70');
    expect(health.code).toBe(0);
    expect(health.out).toMatch(new RegExp(`tenant ${first} device n-2 \\(user u-1\\): score 20\\.0`));
    expect(health.out).not.toMatch(/device n-1/);
    expect(health.out).toMatch(new RegExp(`\\[1/2\\] tenant ${first}: 1 devices below 70`));
    expect(health.out).toMatch(/1 devices below 70 in 2 tenants/);

    const report = await run('conflict-resolution-report', '--days=7');
    expect(report.code).toBe(0);
    expect(report.out).toMatch(new RegExp(`\\[2/2\\] tenant ${second}: report ready`));
    expect(report.out).toMatch(/tenant \d+: \{"days":7,.*"total":0/);
    expect(report.out).toMatch(/conflict reports of the last 7 days for 2 tenants/);
  }, 180_000);

  it('explains bad input with exit code 2', async () => {
    expect(await run('create-sync-snapshot')).toEqual({ code: 2, out: 'error: --tenant-id is required' });
    expect((await run('create-sync-snapshot', '--tenant-id=all', '--hours', '0')).code).toBe(2);
    expect((await run('create-sync-snapshot', '--tenant-id=987654')).out).toMatch(/tenant 987654 not found/);
    expect((await run('check-device-health', '--threshold=101')).code).toBe(2);
    expect((await run('conflict-resolution-report', '--days=x')).code).toBe(2);
  });
});
