import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Every version a record ever had (kept REVISION_RETENTION_DAYS): the base of three-way merges and deltas. */
@Entity({ name: 'sync_record_revision' })
@Index('ix_sync_record_revision_created', ['tenantId', 'createdAt'])
export class SyncRecordRevisionEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_sync_record_revision' })
  tenantId!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_sync_record_revision' })
  domain!: string;

  @PrimaryColumn({ name: 'mobile_id', type: 'uuid', primaryKeyConstraintName: 'pk_sync_record_revision' })
  mobileId!: string;

  @PrimaryColumn({ type: 'integer', primaryKeyConstraintName: 'pk_sync_record_revision' })
  version!: number;

  @Column({ type: 'jsonb' })
  data!: Record<string, unknown>;

  @Column({ type: 'boolean', default: false })
  deleted!: boolean;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'device_id', type: 'text', nullable: true })
  deviceId!: string | null;

  @Column({ name: 'user_id', type: 'text', nullable: true })
  userId!: string | null;

  @Column({ name: 'client_mutation_id', type: 'text', nullable: true })
  clientMutationId!: string | null;

  /** Why this version exists: push, conflict (auto-resolved), manual (review), restore. */
  @Column({ type: 'text', default: 'push' })
  origin!: string;
}
