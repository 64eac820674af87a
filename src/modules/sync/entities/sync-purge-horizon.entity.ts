import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Per tenant, the change_seq below which the feed's history is incomplete (tombstones purged). */
@Entity({ name: 'sync_purge_horizon' })
export class SyncPurgeHorizonEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_sync_purge_horizon' })
  tenantId!: string;

  /** A cursor below this is answered 410 RESYNC_REQUIRED. */
  @Column({ type: 'bigint' })
  horizon!: string;

  @Column({ name: 'purged_at', type: 'timestamptz', default: () => 'now()' })
  purgedAt!: Date;
}
