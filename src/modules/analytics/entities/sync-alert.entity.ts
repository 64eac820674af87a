import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export type AlertKind = 'success_rate_low' | 'conflict_rate_high' | 'unhealthy_devices';
export type AlertStatus = 'open' | 'resolved';

/** A threshold crossed by a snapshot; at most one open alert per tenant and kind, even under races. */
@Entity({ name: 'sync_alert' })
@Index('uq_sync_alert_open_kind', ['tenantId', 'kind'], { unique: true, where: `status = 'open'` })
@Index('ix_sync_alert_opened', ['tenantId', 'openedAt'])
export class SyncAlertEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_sync_alert' })
  tenantId!: string;

  @PrimaryGeneratedColumn('identity', { type: 'bigint', primaryKeyConstraintName: 'pk_sync_alert' })
  id!: string;

  @Column({ type: 'text' })
  kind!: AlertKind;

  @Column({ type: 'text', default: 'open' })
  status!: AlertStatus;

  @Column({ type: 'text' })
  message!: string;

  @Column({ type: 'double precision' })
  value!: number;

  @Column({ type: 'double precision' })
  threshold!: number;

  @Column({ name: 'snapshot_id', type: 'bigint', nullable: true })
  snapshotId!: string | null;

  @Column({ name: 'opened_at', type: 'timestamptz', default: () => 'now()' })
  openedAt!: Date;

  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;
}
