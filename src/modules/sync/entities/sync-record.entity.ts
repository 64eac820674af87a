import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The server's current copy of one record; every write bumps version and takes a new change_seq for the feed. */
@Entity({ name: 'sync_record' })
@Index('uq_sync_record_change_seq', ['tenantId', 'changeSeq'], { unique: true })
// An expression index the generator cannot express (migration DeviceCursorsPurge): SNAPSHOT_RANK_SQL, change_seq.
@Index('ix_sync_record_snapshot', { synchronize: false })
export class SyncRecordEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_sync_record' })
  tenantId!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_sync_record' })
  domain!: string;

  @PrimaryColumn({ name: 'mobile_id', type: 'uuid', primaryKeyConstraintName: 'pk_sync_record' })
  mobileId!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'jsonb' })
  data!: Record<string, unknown>;

  @Column({ type: 'boolean', default: false })
  deleted!: boolean;

  @Column({ name: 'change_seq', type: 'bigint' })
  changeSeq!: string;

  /** When the winning edit was made on its device (clock-corrected). */
  @Column({ name: 'client_updated_at', type: 'timestamptz', nullable: true })
  clientUpdatedAt!: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  @Column({ name: 'updated_by_user', type: 'text', nullable: true })
  updatedByUser!: string | null;

  @Column({ name: 'updated_by_device', type: 'text', nullable: true })
  updatedByDevice!: string | null;
}
