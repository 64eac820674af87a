import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { DomainCounts, SyncEventKind } from '../../../common/metering/sync-meter';

/** One finished sync request (push, pull or partial): what snapshots and device health are computed from. */
@Entity({ name: 'sync_event' })
@Index('ix_sync_event_occurred', ['tenantId', 'occurredAt'])
export class SyncEventEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_sync_event' })
  tenantId!: string;

  @PrimaryGeneratedColumn('identity', { type: 'bigint', primaryKeyConstraintName: 'pk_sync_event' })
  id!: string;

  /** The partition key (daily range partitions, see src/database/time-partitions.ts), so part of the primary key. */
  @PrimaryColumn({
    name: 'occurred_at',
    type: 'timestamptz',
    default: () => 'now()',
    primaryKeyConstraintName: 'pk_sync_event',
  })
  occurredAt!: Date;

  @Column({ type: 'text' })
  kind!: SyncEventKind;

  @Column({ name: 'device_id', type: 'text', nullable: true })
  deviceId!: string | null;

  @Column({ name: 'user_id', type: 'text', nullable: true })
  userId!: string | null;

  @Column({ type: 'boolean' })
  success!: boolean;

  @Column({ name: 'duration_ms', type: 'double precision' })
  durationMs!: number;

  @Column({ type: 'integer', default: 0 })
  items!: number;

  @Column({ type: 'integer', default: 0 })
  conflicts!: number;

  @Column({ name: 'auto_resolved', type: 'integer', default: 0 })
  autoResolved!: number;

  @Column({ type: 'integer', default: 0 })
  manual!: number;

  @Column({ name: 'bytes_raw', type: 'bigint', default: 0 })
  bytesRaw!: string;

  @Column({ name: 'bytes_sent', type: 'bigint', default: 0 })
  bytesSent!: string;

  @Column({ name: 'bytes_saved_delta', type: 'bigint', default: 0 })
  bytesSavedDelta!: string;

  /** Pushed items upcast from an older schema version (API.md "Record shapes across app versions"). */
  @Column({ name: 'upcast_items', type: 'integer', default: 0 })
  upcastItems!: number;

  @Column({ name: 'network_type', type: 'text', nullable: true })
  networkType!: string | null;

  @Column({ name: 'domain_counts', type: 'jsonb', default: () => `'{}'` })
  domainCounts!: Record<string, DomainCounts>;
}
