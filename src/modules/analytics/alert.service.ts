import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import type { Queryable } from '../../database/sql';
import { NotificationService } from '../notification/notification.service';
import { AlertThresholds, evaluateAlerts } from './alert.policy';
import { AlertRepository, AlertRow } from './alert.repository';
import { DeviceHealthRepository } from './device-health.repository';
import { AlertDto } from './dto/analytics.dto';
import { ALERT_DEVICE_SCORE } from './health-score.policy';
import type { SnapshotRow } from './snapshot.repository';

@Injectable()
export class AlertService {
  constructor(
    private readonly config: AppConfig,
    private readonly alerts: AlertRepository,
    private readonly devices: DeviceHealthRepository,
    private readonly notifications: NotificationService,
  ) {}

  /**
   * Evaluates every alert for the snapshot (null: only the devices count) inside the caller's transaction and queues
   * one notification per alert this call opened; returns those alerts.
   */
  async apply(db: Queryable, tenantId: string, snapshot: SnapshotRow | null, now: Date): Promise<AlertRow[]> {
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
}
