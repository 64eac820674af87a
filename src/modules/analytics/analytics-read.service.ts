import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppException } from '../../common/errors/app-exception';
import { DAY_MS } from '../../common/time/instant';
import { AppConfig } from '../../config/app-config';
import { ConflictReportService } from '../conflict/conflict-report.service';
import { QueueStatsService } from '../queue/queue-stats.service';
import { AlertRepository } from './alert.repository';
import { DeviceHealthRepository } from './device-health.repository';
import { AlertDto, DashboardDto, SnapshotDto } from './dto/analytics.dto';
import type { AlertStatus } from './entities/sync-alert.entity';
import { SnapshotRepository } from './snapshot.repository';
import { SyncEventRepository } from './sync-event.repository';

@Injectable()
export class AnalyticsReadService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly snapshots: SnapshotRepository,
    private readonly devices: DeviceHealthRepository,
    private readonly alerts: AlertRepository,
    private readonly queueStats: QueueStatsService,
    private readonly conflicts: ConflictReportService,
    private readonly events: SyncEventRepository,
  ) {}

  async dashboard(tenantId: string, now = new Date()): Promise<DashboardDto> {
    const weekAgo = new Date(now.getTime() - 7 * DAY_MS);
    const [latest, trend, unhealthy, alerts, queue, hotspots, appVersions, upcast] = await Promise.all([
      this.snapshots.latest(this.db, tenantId),
      this.snapshots.listEndingBetween(this.db, tenantId, weekAgo, now, 24 * 7 * 4),
      this.devices.listBelow(this.db, tenantId, now, this.config.get('DEVICE_HEALTH_THRESHOLD'), 10),
      this.alerts.list(this.db, tenantId, 'open', 100),
      this.queueStats.pendingOfTenant(tenantId),
      this.conflicts.hotspots(tenantId, 7),
      this.devices.appVersions(this.db, tenantId, new Date(now.getTime() - 30 * DAY_MS)),
      this.events.upcastItemsSince(this.db, tenantId, weekAgo),
    ]);
    return DashboardDto.from({ latest, trend, unhealthy, alerts, queue, hotspots, appVersions, upcast });
  }

  async listSnapshots(tenantId: string, from: string | undefined, to: string | undefined): Promise<SnapshotDto[]> {
    const end = to ? new Date(to) : new Date();
    const start = from ? new Date(from) : new Date(end.getTime() - 7 * DAY_MS);
    if (start > end) throw AppException.validation('from must not be after to');
    const rows = await this.snapshots.listEndingBetween(this.db, tenantId, start, end, 1000);
    return rows.map((row) => SnapshotDto.from(row));
  }

  async listAlerts(tenantId: string, status: AlertStatus | undefined): Promise<AlertDto[]> {
    const rows = await this.alerts.list(this.db, tenantId, status ?? null, 500);
    return rows.map((row) => AlertDto.from(row));
  }
}
