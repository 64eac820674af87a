import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SyncEventSink, SyncMeter } from '../../common/metering/sync-meter';
import { MetricsService } from './metrics.service';
import { SyncEventRepository } from './sync-event.repository';

/** The SyncEventSink: one sync_event row per finished sync request, device health upserted with it. */
@Injectable()
export class SyncEventRecorder implements SyncEventSink {
  private readonly logger = new Logger(SyncEventRecorder.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: SyncEventRepository,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Never throws: analytics must not fail a request that already succeeded. `replay` sets the time and duration of
   * an event recorded after the fact (tests, imports).
   */
  async record(
    meter: SyncMeter,
    statusCode: number,
    replay: { occurredAt?: Date; durationMs?: number } = {},
  ): Promise<void> {
    const success = statusCode < 400;
    try {
      this.metrics.observeSyncEvent(meter);
      await this.events.record(this.db, {
        tenantId: meter.tenantId,
        occurredAt: replay.occurredAt ?? null,
        kind: meter.kind,
        deviceId: meter.deviceId,
        userId: meter.userId,
        success,
        durationMs: replay.durationMs ?? meter.durationMs(),
        items: meter.items,
        conflicts: meter.conflicts,
        autoResolved: meter.autoResolved,
        manual: meter.manual,
        bytesRaw: meter.bytesRaw,
        bytesSent: meter.bytesSent,
        bytesSavedDelta: meter.bytesSavedDelta,
        upcastItems: meter.upcastItems,
        networkType: meter.networkType,
        appVersion: meter.appVersion,
        osVersion: meter.osVersion,
        clockOffsetMs: meter.clockOffsetMs,
        domainCounts: meter.domainCounts,
      });
    } catch (error) {
      this.logger.warn(`sync event of tenant ${meter.tenantId} not recorded: ${String(error)}`);
    }
  }
}
