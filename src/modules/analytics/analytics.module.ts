import { Module } from '@nestjs/common';
import { SYNC_EVENT_SINK } from '../../common/metering/sync-meter';
import { ConflictModule } from '../conflict/conflict.module';
import { ConflictReportService } from '../conflict/conflict-report.service';
import { QueueModule } from '../queue/queue.module';
import { SyncModule } from '../sync/sync.module';
import { AlertRepository } from './alert.repository';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsScheduler } from './analytics.scheduler';
import { AnalyticsService } from './analytics.service';
import { CONFLICT_INSIGHTS } from './conflict-insights';
import { DeviceHealthRepository } from './device-health.repository';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { NotificationDeliveryRepository } from './notification-delivery.repository';
import { NotificationDeliveryService } from './notification-delivery.service';
import { ReportRepository } from './report.repository';
import { SnapshotRepository } from './snapshot.repository';
import { SyncEventRecorder } from './sync-event.recorder';
import { SyncEventRepository } from './sync-event.repository';

/** sync_event, snapshots, device health, dashboard, alerts, webhook delivery, metrics and their schedules. */
@Module({
  imports: [SyncModule, ConflictModule, QueueModule],
  controllers: [AnalyticsController, MetricsController],
  providers: [
    SyncEventRepository,
    SnapshotRepository,
    DeviceHealthRepository,
    AlertRepository,
    ReportRepository,
    NotificationDeliveryRepository,
    MetricsService,
    SyncEventRecorder,
    { provide: SYNC_EVENT_SINK, useExisting: SyncEventRecorder },
    { provide: CONFLICT_INSIGHTS, useExisting: ConflictReportService },
    AnalyticsService,
    NotificationDeliveryService,
    AnalyticsScheduler,
  ],
  exports: [SYNC_EVENT_SINK, SyncEventRecorder, AnalyticsService, NotificationDeliveryService, MetricsService],
})
export class AnalyticsModule {}
