import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { withAdvisoryXactLock } from '../../common/advisory-lock';
import { isAdmin, Principal } from '../../common/auth/principal';
import { AppException } from '../../common/errors/app-exception';
import { CursorCodec } from '../../common/pagination/cursor';
import { DAY_MS } from '../../common/time/instant';
import { AppConfig } from '../../config/app-config';
import { Queryable } from '../../database/sql';
import { ConflictReport, ConflictService } from '../conflict/conflict.service';
import { NotificationService } from '../notification/notification.service';
import { SyncRecordRepository } from '../sync/sync-record.repository';
import { TenantRepository } from '../tenant/tenant.repository';
import { AlertRepository, AlertRow } from './alert.repository';
import { AlertThresholds, evaluateAlerts } from './alert.policy';
import { alignedDays, alignedWindow, TimeWindow, trailingWindow } from './analytics-window.policy';
import { DeviceHealthRepository, DeviceHealthRow } from './device-health.repository';
import {
  AlertDto,
  CreatedSnapshotDto,
  DashboardDto,
  DeviceHealthDto,
  DevicePageDto,
  SnapshotDto,
  TrendPointDto,
  UnhealthyDeviceDto,
} from './dto/analytics.dto';
import type { AlertStatus } from './entities/sync-alert.entity';
import { ALERT_DEVICE_SCORE } from './health-score.policy';
import { ReportRepository } from './report.repository';
import { SnapshotRepository, SnapshotRow } from './snapshot.repository';
import { SyncEventRepository } from './sync-event.repository';
import { QueueStatsService } from '../queue/queue-stats.service';

/** sync_event rows are kept this long; snapshots keep the figures after that. */
export const SYNC_EVENT_RETENTION_DAYS = 90;
export const CONFLICT_REPORT_KIND = 'conflict_weekly';

export type Progress = (line: string) => void;

export interface TenantSnapshotResult {
  tenantId: string;
  snapshot: SnapshotRow | undefined;
  /** false: the window's snapshot existed already (another replica or run made it). */
  created: boolean;
  openedAlerts: AlertRow[];
}

export interface DeviceHealthCheckResult {
  tenantId: string;
  devices: DeviceHealthRow[];
  openedAlerts: AlertRow[];
}

@Injectable()
export class AnalyticsService {
  private readonly logger = new Logger(AnalyticsService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly snapshots: SnapshotRepository,
    private readonly devices: DeviceHealthRepository,
    private readonly alerts: AlertRepository,
    private readonly reports: ReportRepository,
    private readonly events: SyncEventRepository,
    private readonly queueStats: QueueStatsService,
    private readonly notifications: NotificationService,
    private readonly tenants: TenantRepository,
    private readonly records: SyncRecordRepository,
    private readonly conflicts: ConflictService,
  ) {}

  // --- snapshots and alerts

  /** An on-demand snapshot of the last `hours` hours (POST /api/sync/snapshot/create/). */
  async createSnapshot(tenantId: string, hours: number, now = new Date()): Promise<CreatedSnapshotDto> {
    const result = await this.db.transaction((manager) =>
      this.snapshotTenant(manager, tenantId, trailingWindow(now, hours), now),
    );
    return {
      snapshot_id: result.snapshot!.id,
      status: 'created',
      timestamp: result.snapshot!.window_end.toISOString(),
    };
  }

  /** On-demand snapshots of the last `hours` hours for some or all tenants (CLI). */
  async createSnapshots(
    tenantIds: string[] | 'all',
    hours: number,
    progress: Progress = () => undefined,
    now = new Date(),
  ): Promise<TenantSnapshotResult[]> {
    const ids = tenantIds === 'all' ? await this.tenants.listIds() : tenantIds;
    const results: TenantSnapshotResult[] = [];
    for (const [index, tenantId] of ids.entries()) {
      if (!(await this.tenants.findById(tenantId))) throw AppException.notFound(`tenant ${tenantId}`);
      const result = await this.db.transaction((manager) =>
        this.snapshotTenant(manager, tenantId, trailingWindow(now, hours), now),
      );
      results.push(result);
      progress(`[${index + 1}/${ids.length}] tenant ${tenantId}: ${describeSnapshot(result)}`);
    }
    return results;
  }

  /**
   * The scheduled snapshot of every tenant for the last aligned window. One replica runs it (advisory lock) and
   * the unique window key makes a late second run a no-op; returns undefined when another replica holds the lock.
   */
  async runScheduledSnapshots(now = new Date()): Promise<TenantSnapshotResult[] | undefined> {
    const window = alignedWindow(now, this.config.get('ANALYTICS_SNAPSHOT_INTERVAL_HOURS'));
    // Everything inside the lock goes through its transaction: the embedded database has a single connection.
    const ids = await this.tenants.listIds();
    const outcome = await withAdvisoryXactLock(this.db, `analytics:snapshot:${window.end.toISOString()}`, async (m) => {
      const results: TenantSnapshotResult[] = [];
      for (const tenantId of ids) {
        results.push(await this.snapshotTenant(m, tenantId, window, now));
      }
      return results;
    });
    if (!outcome.ran) return undefined;
    const created = outcome.result.filter((result) => result.created).length;
    this.logger.log(`snapshots for ${window.start.toISOString()}..${window.end.toISOString()}: ${created} created`);
    return outcome.result;
  }

  private async snapshotTenant(
    db: Queryable,
    tenantId: string,
    window: TimeWindow,
    now: Date,
  ): Promise<TenantSnapshotResult> {
    const inserted = await this.snapshots.createFromEvents(db, tenantId, window);
    if (!inserted) {
      return {
        tenantId,
        snapshot: await this.snapshots.findByWindow(db, tenantId, window),
        created: false,
        openedAlerts: [],
      };
    }
    const openedAlerts = await this.applyAlerts(db, tenantId, inserted, now);
    return { tenantId, snapshot: inserted, created: true, openedAlerts };
  }

  /** Opens and resolves the tenant's alerts for a snapshot (or for the devices only) and queues notifications. */
  private async applyAlerts(
    db: Queryable,
    tenantId: string,
    snapshot: SnapshotRow | null,
    now: Date,
  ): Promise<AlertRow[]> {
    const unhealthyDevices = await this.devices.countBelow(db, tenantId, now, ALERT_DEVICE_SCORE);
    const evaluations = evaluateAlerts(
      {
        totalRequests: snapshot?.total_sync_requests ?? 0,
        successRatePct: snapshot?.success_rate_pct ?? 0,
        conflictRatePct: snapshot?.conflict_rate_pct ?? 0,
        unhealthyDevices,
      },
      this.thresholds(),
    );
    const opened: AlertRow[] = [];
    for (const evaluation of evaluations) {
      if (!evaluation.firing) {
        await this.alerts.resolve(db, tenantId, evaluation.kind);
        continue;
      }
      const alert = await this.alerts.open(db, tenantId, evaluation, snapshot?.id ?? null);
      if (alert) opened.push(alert);
    }
    await this.notifications.enqueue(
      db,
      tenantId,
      opened.map((alert) => ({ kind: 'alert', payload: { alert: AlertDto.from(alert) } })),
    );
    return opened;
  }

  private thresholds(): AlertThresholds {
    return {
      successRateMinPct: this.config.get('ALERT_SUCCESS_RATE_MIN_PCT'),
      conflictRateMaxPct: this.config.get('ALERT_CONFLICT_RATE_MAX_PCT'),
      unhealthyDevicesMax: this.config.get('ALERT_UNHEALTHY_DEVICES_MAX'),
    };
  }

  // --- device health

  /**
   * The daily check: stores every device's current score, lists the devices below `threshold` and re-evaluates the
   * unhealthy_devices alert. Under the advisory lock of the day, so one replica runs it.
   */
  async runDeviceHealthCheck(
    threshold = this.config.get('DEVICE_HEALTH_THRESHOLD'),
    progress: Progress = () => undefined,
    now = new Date(),
  ): Promise<DeviceHealthCheckResult[] | undefined> {
    const day = now.toISOString().slice(0, 10);
    const ids = await this.tenants.listIds();
    const outcome = await withAdvisoryXactLock(this.db, `analytics:device-health:${day}`, async (m) => {
      const results: DeviceHealthCheckResult[] = [];
      for (const [index, tenantId] of ids.entries()) {
        await this.devices.refreshScores(m, tenantId, now);
        const devices = await this.devices.listBelow(m, tenantId, now, threshold, 1000);
        const openedAlerts = (await this.applyAlerts(m, tenantId, null, now)).filter(
          (alert) => alert.kind === 'unhealthy_devices',
        );
        results.push({ tenantId, devices, openedAlerts });
        progress(`[${index + 1}/${ids.length}] tenant ${tenantId}: ${devices.length} devices below ${threshold}`);
      }
      return results;
    });
    if (!outcome.ran) return undefined;
    const below = outcome.result.reduce((sum, result) => sum + result.devices.length, 0);
    this.logger.log(`device health check: ${below} devices below ${threshold}`);
    return outcome.result;
  }

  /** A sync caller sees only devices its own user synced last; admin any device of the tenant. */
  async deviceHealth(principal: Principal, deviceId: string, now = new Date()): Promise<DeviceHealthDto> {
    const userId = isAdmin(principal) ? null : (principal.userId ?? '');
    const row = await this.devices.find(this.db, principal.tenantId, now, deviceId, userId);
    if (!row) throw AppException.notFound(`device ${deviceId}`);
    return DeviceHealthDto.from(row);
  }

  async listDevices(
    tenantId: string,
    maxHealth: number | null,
    cursor: string | null,
    limit: number,
    now = new Date(),
  ): Promise<DevicePageDto> {
    const after = cursor === null ? null : decodeCursor(cursor);
    const rows = await this.devices.page(this.db, tenantId, now, maxHealth, after, limit + 1);
    const page = rows.slice(0, limit);
    return {
      items: page.map((row) => DeviceHealthDto.from(row)),
      next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1].device_id) : null,
    };
  }

  // --- reads

  async dashboard(tenantId: string, now = new Date()): Promise<DashboardDto> {
    const weekAgo = new Date(now.getTime() - 7 * DAY_MS);
    const [latest, trend, unhealthy, alerts, queue, hotspots] = await Promise.all([
      this.snapshots.latest(this.db, tenantId),
      this.snapshots.listEndingBetween(this.db, tenantId, weekAgo, now, 24 * 7 * 4),
      this.devices.listBelow(this.db, tenantId, now, this.config.get('DEVICE_HEALTH_THRESHOLD'), 10),
      this.alerts.list(this.db, tenantId, 'open', 100),
      this.queueStats.pendingOfTenant(tenantId),
      this.conflicts.hotspots(tenantId, 7),
    ]);
    return {
      latest_snapshot: latest ? SnapshotDto.from(latest) : null,
      trend_7days: trend.map((row) => TrendPointDto.from(row)),
      unhealthy_devices: unhealthy.map((row) => UnhealthyDeviceDto.from(row)),
      conflict_hotspots: hotspots,
      open_alerts: alerts.map((row) => AlertDto.from(row)),
      queue,
    };
  }

  async listSnapshots(tenantId: string, from: string | undefined, to: string | undefined): Promise<SnapshotDto[]> {
    const end = to ? new Date(to) : new Date();
    const start = from ? new Date(from) : new Date(end.getTime() - 7 * DAY_MS);
    if (start > end) throw AppException.validation('from must not be after to');
    const rows = await this.snapshots.listEndingBetween(this.db, tenantId, start, end, 1000);
    return rows.map((row) => SnapshotDto.from(row));
  }

  async listAlerts(tenantId: string, status: AlertStatus | undefined): Promise<AlertDto[]> {
    return (await this.alerts.list(this.db, tenantId, status ?? null, 500)).map((row) => AlertDto.from(row));
  }

  // --- reports and retention

  /**
   * The conflict report of every tenant over the last `days` days. With `store`, the weekly task: saved in
   * sync_report once per tenant and period, under the period's advisory lock.
   */
  async conflictReports(
    days: number,
    options: { store: boolean; progress?: Progress; now?: Date },
  ): Promise<Array<{ tenantId: string; report: ConflictReport; stored: boolean }> | undefined> {
    const now = options.now ?? new Date();
    const period = options.store ? alignedDays(now, days) : trailingWindow(now, days * 24);
    const progress = options.progress ?? (() => undefined);
    const ids = await this.tenants.listIds();
    const reports: Array<{ tenantId: string; report: ConflictReport; stored: boolean }> = [];
    for (const tenantId of ids) {
      reports.push({ tenantId, report: await this.conflicts.report(tenantId, days, period.end), stored: false });
    }
    if (options.store) {
      const outcome = await withAdvisoryXactLock(
        this.db,
        `analytics:conflict-report:${period.start.toISOString()}`,
        async (m) => {
          for (const entry of reports) {
            entry.stored =
              (await this.reports.insert(m, entry.tenantId, CONFLICT_REPORT_KIND, period, entry.report)) !== undefined;
          }
        },
      );
      if (!outcome.ran) return undefined;
    }
    for (const [index, entry] of reports.entries()) {
      progress(`[${index + 1}/${ids.length}] tenant ${entry.tenantId}: report ready${entry.stored ? ' (stored)' : ''}`);
    }
    return reports;
  }

  /** Drops old sync_event rows and record revisions past REVISION_RETENTION_DAYS, once per day across replicas. */
  async runRetention(now = new Date()): Promise<{ events: number; revisions: number } | undefined> {
    const day = now.toISOString().slice(0, 10);
    const outcome = await withAdvisoryXactLock(this.db, `analytics:retention:${day}`, async (m) => ({
      events: await this.events.pruneOlderThan(m, new Date(now.getTime() - SYNC_EVENT_RETENTION_DAYS * DAY_MS)),
      revisions: await this.records.pruneRevisions(
        m,
        new Date(now.getTime() - this.config.get('REVISION_RETENTION_DAYS') * DAY_MS),
      ),
    }));
    if (!outcome.ran) return undefined;
    this.logger.log(`retention: ${outcome.result.events} events, ${outcome.result.revisions} revisions deleted`);
    return outcome.result;
  }
}

export function describeSnapshot(result: TenantSnapshotResult): string {
  const snapshot = result.snapshot;
  if (!snapshot) return 'no snapshot';
  const alerts = result.openedAlerts.length > 0 ? `, alerts: ${result.openedAlerts.map((a) => a.kind).join(', ')}` : '';
  return (
    `snapshot ${snapshot.id}${result.created ? '' : ' (existing)'}, ${snapshot.total_sync_requests} requests, ` +
    `success ${snapshot.success_rate_pct.toFixed(1)} %, conflicts ${snapshot.conflict_rate_pct.toFixed(1)} %${alerts}`
  );
}

const DEVICE_CURSOR = new CursorCodec('dv1:', [/^.{1,128}$/s]);

function encodeCursor(deviceId: string): string {
  return DEVICE_CURSOR.encode([deviceId]);
}

function decodeCursor(cursor: string): string {
  return DEVICE_CURSOR.decode(cursor)[0];
}
