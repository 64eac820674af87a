import { Module } from '@nestjs/common';
import { ConflictModule } from '../conflict/conflict.module';
import { QueueModule } from '../queue/queue.module';
import { SyncModule } from '../sync/sync.module';
import { AlertRepository } from './alert.repository';
import { AlertService } from './alert.service';
import { AnalyticsReadService } from './analytics-read.service';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsScheduler } from './analytics.scheduler';
import { DeviceHealthRepository } from './device-health.repository';
import { DeviceHealthService } from './device-health.service';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { ReportRepository } from './report.repository';
import { ReportService } from './report.service';
import { RetentionService } from './retention.service';
import { SnapshotRepository } from './snapshot.repository';
import { SnapshotService } from './snapshot.service';
import { SyncEventRecorder } from './sync-event.recorder';
import { SyncEventRepository } from './sync-event.repository';

/** sync_event, snapshots, device health, dashboard, alerts, conflict reports, metrics and their schedules. */
@Module({
  imports: [SyncModule, ConflictModule, QueueModule],
  controllers: [AnalyticsController, MetricsController],
  providers: [
    SyncEventRepository,
    SnapshotRepository,
    DeviceHealthRepository,
    AlertRepository,
    ReportRepository,
    MetricsService,
    SyncEventRecorder,
    AlertService,
    SnapshotService,
    DeviceHealthService,
    AnalyticsReadService,
    ReportService,
    RetentionService,
    AnalyticsScheduler,
  ],
})
export class AnalyticsModule {}
