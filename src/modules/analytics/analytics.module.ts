import { Module } from '@nestjs/common';
import { SYNC_EVENT_SINK } from '../../common/metering/sync-meter';
import { ConflictModule } from '../conflict/conflict.module';
import { QueueModule } from '../queue/queue.module';
import { SyncModule } from '../sync/sync.module';
import { AlertRepository } from './alert.repository';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsScheduler } from './analytics.scheduler';
import { AnalyticsService } from './analytics.service';
import { DeviceHealthRepository } from './device-health.repository';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { ReportRepository } from './report.repository';
import { SnapshotRepository } from './snapshot.repository';
import { SyncEventRecorder } from './sync-event.recorder';
import { SyncEventRepository } from './sync-event.repository';

/** sync_event, snapshots, device health, dashboard, alerts, metrics and their schedules. */
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
    { provide: SYNC_EVENT_SINK, useExisting: SyncEventRecorder },
    AnalyticsService,
    AnalyticsScheduler,
  ],
  exports: [SYNC_EVENT_SINK, SyncEventRecorder, AnalyticsService, MetricsService],
})
export class AnalyticsModule {}
