import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsNumber, IsOptional, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import type { AlertRow } from '../alert.repository';
import type { DeviceHealthRow } from '../device-health.repository';
import { roundTo } from '../health-score.policy';
import type { SnapshotRow } from '../snapshot.repository';

export class CreateSnapshotDto {
  /** Hours before now the snapshot covers. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(720)
  time_window_hours?: number = 1;
}

export class CreatedSnapshotDto {
  snapshot_id!: string;
  @ApiProperty({ enum: ['created'] })
  status!: 'created';
  /** When the snapshot was taken (its window end). */
  timestamp!: string;

  static from(row: SnapshotRow): CreatedSnapshotDto {
    return { snapshot_id: row.id, status: 'created', timestamp: row.window_end.toISOString() };
  }
}

export class DeviceHealthQueryDto {
  @IsString()
  @Length(1, 128)
  device_id!: string;
}

export class SnapshotsQueryDto {
  /** Windows ending at or after this instant (default: 7 days ago). */
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  /** Windows ending at or before this instant (default: now). */
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class DevicesQueryDto {
  /** Only devices scoring at most this. */
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  @Max(100)
  max_health?: number;

  /** next_cursor of the previous page. */
  @IsOptional()
  @IsString()
  @MaxLength(400)
  cursor?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number = 100;
}

export class AlertsQueryDto {
  @IsOptional()
  @IsIn(['open', 'resolved'])
  status?: 'open' | 'resolved';
}

export class DomainBreakdownDto {
  items!: number;
  conflicts!: number;
  auto_resolved!: number;
  manual!: number;
  conflict_rate_pct!: number;
}

export class SnapshotDto {
  id!: string;
  window_start!: string;
  window_end!: string;
  total_sync_requests!: number;
  successful_syncs!: number;
  failed_syncs!: number;
  /** successful / requests × 100; 0 without requests. */
  success_rate_pct!: number;
  avg_sync_duration_ms!: number;
  p95_sync_duration_ms!: number;
  avg_items_per_sync!: number;
  total_items!: number;
  total_conflicts!: number;
  auto_resolved_conflicts!: number;
  manual_conflicts!: number;
  /** conflicts / pushed items × 100. */
  conflict_rate_pct!: number;
  total_bytes_synced!: number;
  bytes_saved_via_delta!: number;
  /** Bytes saved by compression and delta / uncompressed bytes × 100. */
  bandwidth_efficiency_pct!: number;
  unique_devices!: number;
  unique_users!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/DomainBreakdownDto' },
    example: { task: { items: 40, conflicts: 2, auto_resolved: 2, manual: 0, conflict_rate_pct: 5 } },
  })
  domain_breakdown!: Record<string, DomainBreakdownDto>;
  created_at!: string;

  static from(row: SnapshotRow): SnapshotDto {
    return {
      id: row.id,
      window_start: row.window_start.toISOString(),
      window_end: row.window_end.toISOString(),
      total_sync_requests: row.total_sync_requests,
      successful_syncs: row.successful_syncs,
      failed_syncs: row.failed_syncs,
      success_rate_pct: row.success_rate_pct,
      avg_sync_duration_ms: row.avg_sync_duration_ms,
      p95_sync_duration_ms: row.p95_sync_duration_ms,
      avg_items_per_sync: row.avg_items_per_sync,
      total_items: Number(row.total_items),
      total_conflicts: Number(row.total_conflicts),
      auto_resolved_conflicts: Number(row.auto_resolved_conflicts),
      manual_conflicts: Number(row.manual_conflicts),
      conflict_rate_pct: row.conflict_rate_pct,
      total_bytes_synced: Number(row.total_bytes_synced),
      bytes_saved_via_delta: Number(row.bytes_saved_via_delta),
      bandwidth_efficiency_pct: row.bandwidth_efficiency_pct,
      unique_devices: row.unique_devices,
      unique_users: row.unique_users,
      domain_breakdown: row.domain_breakdown,
      created_at: row.created_at.toISOString(),
    };
  }
}

export class TrendPointDto {
  /** Window end. */
  timestamp!: string;
  success_rate_pct!: number;
  conflict_rate_pct!: number;
  p95_sync_duration_ms!: number;

  static from(row: SnapshotRow): TrendPointDto {
    return {
      timestamp: row.window_end.toISOString(),
      success_rate_pct: row.success_rate_pct,
      conflict_rate_pct: row.conflict_rate_pct,
      p95_sync_duration_ms: row.p95_sync_duration_ms,
    };
  }
}

export class UnhealthyDeviceDto {
  device_id!: string;
  user_id!: string | null;
  health_score!: number;
  last_sync_at!: string;

  static from(row: DeviceHealthRow): UnhealthyDeviceDto {
    return {
      device_id: row.device_id,
      user_id: row.user_id,
      health_score: roundTo(row.health_score, 2),
      last_sync_at: row.last_sync_at.toISOString(),
    };
  }
}

export class DeviceHealthDto {
  device_id!: string;
  /** The device's user: the same device id under another user is another device. */
  @ApiProperty({ nullable: true, type: 'string' })
  user_id!: string | null;
  /** 0..100, computed at read time. */
  health_score!: number;
  last_sync_at!: string;
  total_syncs!: number;
  failed_syncs_count!: number;
  avg_sync_duration_ms!: number;
  conflicts_encountered!: number;
  network_type!: string | null;
  app_version!: string | null;
  os_version!: string | null;

  static from(row: DeviceHealthRow): DeviceHealthDto {
    return {
      device_id: row.device_id,
      user_id: row.user_id,
      health_score: roundTo(row.health_score, 2),
      last_sync_at: row.last_sync_at.toISOString(),
      total_syncs: row.total_syncs,
      failed_syncs_count: row.failed_syncs_count,
      avg_sync_duration_ms: roundTo(row.avg_sync_duration_ms, 2),
      conflicts_encountered: row.conflicts_encountered,
      network_type: row.network_type,
      app_version: row.app_version,
      os_version: row.os_version,
    };
  }
}

export class DevicePageDto {
  @ApiProperty({ type: [DeviceHealthDto] })
  items!: DeviceHealthDto[];
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor!: string | null;

  static from(rows: DeviceHealthRow[], nextCursor: string | null): DevicePageDto {
    return { items: rows.map((row) => DeviceHealthDto.from(row)), next_cursor: nextCursor };
  }
}

export class AlertDto {
  id!: string;
  @ApiProperty({ enum: ['success_rate_low', 'conflict_rate_high', 'unhealthy_devices'] })
  kind!: string;
  @ApiProperty({ enum: ['open', 'resolved'] })
  status!: string;
  message!: string;
  value!: number;
  threshold!: number;
  snapshot_id!: string | null;
  opened_at!: string;
  resolved_at!: string | null;

  static from(row: AlertRow): AlertDto {
    return {
      id: row.id,
      kind: row.kind,
      status: row.status,
      message: row.message,
      value: row.value,
      threshold: row.threshold,
      snapshot_id: row.snapshot_id,
      opened_at: row.opened_at.toISOString(),
      resolved_at: row.resolved_at?.toISOString() ?? null,
    };
  }
}

export class ConflictHotspotDto {
  domain!: string;
  conflict_count!: number;
}

export class QueueSummaryDto {
  pending_items!: number;
  high_priority!: number;
}

/** One app version the tenant's devices run (from device health, devices synced in the last 30 days). */
export class AppVersionDto {
  /** As the devices report it in device_info.app_version; null: devices that never said. */
  @ApiProperty({ type: 'string', nullable: true, example: '5.3.0' })
  app_version!: string | null;
  devices!: number;
  last_sync_at!: string;
}

export class DashboardDto {
  @ApiProperty({ type: SnapshotDto, nullable: true })
  latest_snapshot!: SnapshotDto | null;
  @ApiProperty({ type: [TrendPointDto] })
  trend_7days!: TrendPointDto[];
  /** Devices below DEVICE_HEALTH_THRESHOLD, lowest score first, at most 10. */
  @ApiProperty({ type: [UnhealthyDeviceDto] })
  unhealthy_devices!: UnhealthyDeviceDto[];
  /** Domains with the most conflicts in the last 7 days. */
  @ApiProperty({ type: [ConflictHotspotDto] })
  conflict_hotspots!: ConflictHotspotDto[];
  @ApiProperty({ type: [AlertDto] })
  open_alerts!: AlertDto[];
  queue!: QueueSummaryDto;
  /** App versions in use, most devices first. */
  @ApiProperty({ type: [AppVersionDto] })
  app_versions!: AppVersionDto[];
  /** Pushed items upcast from an older schema version in the last 7 days. */
  upcast_items_7days!: number;

  static from(parts: {
    latest: SnapshotRow | undefined;
    trend: SnapshotRow[];
    unhealthy: DeviceHealthRow[];
    alerts: AlertRow[];
    queue: QueueSummaryDto;
    hotspots: ConflictHotspotDto[];
    appVersions: Array<{ app_version: string | null; devices: number; last_sync_at: Date }>;
    upcast: number;
  }): DashboardDto {
    return {
      latest_snapshot: parts.latest ? SnapshotDto.from(parts.latest) : null,
      trend_7days: parts.trend.map((row) => TrendPointDto.from(row)),
      unhealthy_devices: parts.unhealthy.map((row) => UnhealthyDeviceDto.from(row)),
      conflict_hotspots: parts.hotspots,
      open_alerts: parts.alerts.map((row) => AlertDto.from(row)),
      queue: parts.queue,
      app_versions: parts.appVersions.map((row) => ({
        ...row,
        last_sync_at: new Date(row.last_sync_at).toISOString(),
      })),
      upcast_items_7days: parts.upcast,
    };
  }
}
