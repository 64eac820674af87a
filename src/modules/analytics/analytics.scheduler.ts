import { Injectable, Logger } from '@nestjs/common';
import { Cron, Interval } from '@nestjs/schedule';
import { errorMessage } from '../../common/errors/error-message';
import { QueueRetentionService } from '../queue/queue-retention.service';
import { SyncPurgeService } from '../sync/sync-purge.service';
import { DeviceHealthService } from './device-health.service';
import { METRICS_REFRESH_MS, MetricsService } from './metrics.service';
import { ReportService } from './report.service';
import { RetentionService } from './retention.service';
import { SnapshotService } from './snapshot.service';

/** Every schedule of the analytics module, in one place (UTC). */
export const ANALYTICS_SCHEDULES = {
  /** Snapshot of every tenant for the last aligned window, a minute past the hour. */
  hourlySnapshot: '0 1 * * * *',
  /** Store device scores, list devices below DEVICE_HEALTH_THRESHOLD, re-evaluate the device alert. */
  dailyDeviceHealth: '0 0 2 * * *',
  /** Weekly conflict report into sync_report, Sunday 00:00. */
  weeklyConflictReport: '0 0 0 * * 0',
  /** Drop sync_event partitions older than SYNC_EVENT_RETENTION_DAYS. */
  dailyRetention: '0 30 3 * * *',
  /** Create the sync_event partitions of the next PARTITION_DAYS_AHEAD days (also at startup). */
  dailyPartitions: '0 15 0 * * *',
  /** Keep SCOPE_CHANGE_PARTITIONS_AHEAD empty scope_change partitions above the sequence (also at startup). */
  hourlyScopeLogPartitions: '0 20 * * * *',
  /**
   * Purge tombstones and revisions every active device has pulled past (sync module, in short batches), then drop
   * the scope_change partitions below the raised purge horizon.
   */
  dailyHistoryPurge: '0 0 4 * * *',
  /** Remove queue items processed more than QUEUE_RESULT_RETENTION_DAYS ago (queue module, in short batches). */
  dailyQueueRetention: '0 30 4 * * *',
} as const;

/**
 * Ticks only call service methods; those take a transaction-scoped advisory lock and write under unique keys, so
 * each runs once per window across replicas. Active only when SCHEDULER_ENABLED (ScheduleModule is imported).
 */
@Injectable()
export class AnalyticsScheduler {
  private readonly logger = new Logger(AnalyticsScheduler.name);

  constructor(
    private readonly snapshots: SnapshotService,
    private readonly deviceHealth: DeviceHealthService,
    private readonly reports: ReportService,
    private readonly retention: RetentionService,
    private readonly purge: SyncPurgeService,
    private readonly queueRetention: QueueRetentionService,
    private readonly metrics: MetricsService,
  ) {}

  /** The cross-tenant gauges of /metrics, read here so that a scrape runs no SQL (each replica its own). */
  @Interval('metrics-gauges', METRICS_REFRESH_MS)
  async metricsGauges(): Promise<void> {
    await this.guard('metrics gauges', () => this.metrics.refreshGauges());
  }

  @Cron(ANALYTICS_SCHEDULES.hourlySnapshot, { name: 'analytics-hourly-snapshot', timeZone: 'UTC' })
  async hourlySnapshot(): Promise<void> {
    await this.guard('hourly snapshot', () => this.snapshots.runScheduledSnapshots());
  }

  @Cron(ANALYTICS_SCHEDULES.dailyDeviceHealth, { name: 'analytics-device-health', timeZone: 'UTC' })
  async dailyDeviceHealth(): Promise<void> {
    await this.guard('device health check', () => this.deviceHealth.runDeviceHealthCheck());
  }

  @Cron(ANALYTICS_SCHEDULES.weeklyConflictReport, { name: 'analytics-conflict-report', timeZone: 'UTC' })
  async weeklyConflictReport(): Promise<void> {
    await this.guard('conflict report', () => this.reports.conflictReports(7, { store: true }));
  }

  @Cron(ANALYTICS_SCHEDULES.dailyHistoryPurge, { name: 'sync-history-purge', timeZone: 'UTC' })
  async dailyHistoryPurge(): Promise<void> {
    await this.guard('history purge', () => this.purge.runPurge());
  }

  @Cron(ANALYTICS_SCHEDULES.dailyRetention, { name: 'analytics-retention', timeZone: 'UTC' })
  async dailyRetention(): Promise<void> {
    await this.guard('retention', () => this.retention.runRetention());
  }

  @Cron(ANALYTICS_SCHEDULES.dailyPartitions, { name: 'analytics-partitions', timeZone: 'UTC' })
  async dailyPartitions(): Promise<void> {
    await this.guard('partition creation', () => this.retention.ensurePartitions());
  }

  @Cron(ANALYTICS_SCHEDULES.dailyQueueRetention, { name: 'queue-result-retention', timeZone: 'UTC' })
  async dailyQueueRetention(): Promise<void> {
    await this.guard('queue retention', () => this.queueRetention.runRetention());
  }

  @Cron(ANALYTICS_SCHEDULES.hourlyScopeLogPartitions, { name: 'scope-change-partitions', timeZone: 'UTC' })
  async hourlyScopeLogPartitions(): Promise<void> {
    await this.guard('scope_change partition creation', () => this.retention.ensureScopeLogPartitions());
  }

  private async guard(task: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.logger.error(`${task} failed: ${errorMessage(error)}`);
    }
  }
}
