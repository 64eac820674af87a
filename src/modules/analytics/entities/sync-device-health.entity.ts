import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Running per-device sync figures, upserted atomically with each sync_event. A device id is its user's: the same id
 * under another user is another device ('' is a device synced without a user).
 */
@Entity({ name: 'sync_device_health' })
export class SyncDeviceHealthEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_sync_device_health' })
  tenantId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'text', default: '', primaryKeyConstraintName: 'pk_sync_device_health' })
  userId!: string;

  @PrimaryColumn({ name: 'device_id', type: 'text', primaryKeyConstraintName: 'pk_sync_device_health' })
  deviceId!: string;

  @Column({ name: 'last_sync_at', type: 'timestamptz' })
  lastSyncAt!: Date;

  @Column({ name: 'total_syncs', type: 'integer', default: 0 })
  totalSyncs!: number;

  @Column({ name: 'failed_syncs_count', type: 'integer', default: 0 })
  failedSyncsCount!: number;

  @Column({ name: 'avg_sync_duration_ms', type: 'double precision', default: 0 })
  avgSyncDurationMs!: number;

  @Column({ name: 'conflicts_encountered', type: 'integer', default: 0 })
  conflictsEncountered!: number;

  /** The score when last written; reads recompute it because recency decays with time. */
  @Column({ name: 'health_score', type: 'double precision', default: 100 })
  healthScore!: number;

  @Column({ name: 'network_type', type: 'text', nullable: true })
  networkType!: string | null;

  @Column({ name: 'app_version', type: 'text', nullable: true })
  appVersion!: string | null;

  @Column({ name: 'os_version', type: 'text', nullable: true })
  osVersion!: string | null;

  @Column({ name: 'clock_offset_ms', type: 'bigint', nullable: true })
  clockOffsetMs!: number | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
