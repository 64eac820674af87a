import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A periodic report (the weekly conflict report); one per tenant, kind and period. */
@Entity({ name: 'sync_report' })
@Index('uq_sync_report_period', ['tenantId', 'kind', 'periodStart'], { unique: true })
export class SyncReportEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_sync_report' })
  tenantId!: string;

  @PrimaryGeneratedColumn('identity', { type: 'bigint', primaryKeyConstraintName: 'pk_sync_report' })
  id!: string;

  /** conflict_weekly. */
  @Column({ type: 'text' })
  kind!: string;

  @Column({ name: 'period_start', type: 'timestamptz' })
  periodStart!: Date;

  @Column({ name: 'period_end', type: 'timestamptz' })
  periodEnd!: Date;

  @Column({ type: 'jsonb' })
  body!: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
