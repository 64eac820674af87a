import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export interface DomainBreakdown {
  items: number;
  conflicts: number;
  auto_resolved: number;
  manual: number;
  conflict_rate_pct: number;
}

/** Aggregated sync_event figures of one tenant over one window; one row per tenant and window. */
@Entity({ name: 'sync_analytics_snapshot' })
@Index('uq_sync_analytics_snapshot_window', ['tenantId', 'windowStart', 'windowEnd'], { unique: true })
@Index('ix_sync_analytics_snapshot_end', ['tenantId', 'windowEnd'])
export class SyncAnalyticsSnapshotEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_sync_analytics_snapshot' })
  tenantId!: string;

  @PrimaryGeneratedColumn('identity', { type: 'bigint', primaryKeyConstraintName: 'pk_sync_analytics_snapshot' })
  id!: string;

  @Column({ name: 'window_start', type: 'timestamptz' })
  windowStart!: Date;

  @Column({ name: 'window_end', type: 'timestamptz' })
  windowEnd!: Date;

  @Column({ name: 'total_sync_requests', type: 'integer' })
  totalSyncRequests!: number;

  @Column({ name: 'successful_syncs', type: 'integer' })
  successfulSyncs!: number;

  @Column({ name: 'failed_syncs', type: 'integer' })
  failedSyncs!: number;

  @Column({ name: 'success_rate_pct', type: 'double precision' })
  successRatePct!: number;

  @Column({ name: 'avg_sync_duration_ms', type: 'double precision' })
  avgSyncDurationMs!: number;

  @Column({ name: 'p95_sync_duration_ms', type: 'double precision' })
  p95SyncDurationMs!: number;

  @Column({ name: 'avg_items_per_sync', type: 'double precision' })
  avgItemsPerSync!: number;

  @Column({ name: 'total_items', type: 'bigint' })
  totalItems!: string;

  @Column({ name: 'total_conflicts', type: 'bigint' })
  totalConflicts!: string;

  @Column({ name: 'auto_resolved_conflicts', type: 'bigint' })
  autoResolvedConflicts!: string;

  @Column({ name: 'manual_conflicts', type: 'bigint' })
  manualConflicts!: string;

  @Column({ name: 'conflict_rate_pct', type: 'double precision' })
  conflictRatePct!: number;

  @Column({ name: 'total_bytes_synced', type: 'bigint' })
  totalBytesSynced!: string;

  @Column({ name: 'bytes_saved_via_delta', type: 'bigint' })
  bytesSavedViaDelta!: string;

  @Column({ name: 'bandwidth_efficiency_pct', type: 'double precision' })
  bandwidthEfficiencyPct!: number;

  @Column({ name: 'unique_devices', type: 'integer' })
  uniqueDevices!: number;

  @Column({ name: 'unique_users', type: 'integer' })
  uniqueUsers!: number;

  @Column({ name: 'domain_breakdown', type: 'jsonb' })
  domainBreakdown!: Record<string, DomainBreakdown>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
