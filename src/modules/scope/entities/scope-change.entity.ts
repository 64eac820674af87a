import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Append-only log per scope key in change_seq order: `add` (the record, as of this change, holds the key) or
 * `remove` (it left the key). A pull merges one range scan of the primary key per key it holds. Partitioned by range
 * on change_seq in blocks (src/database/seq-partitions.ts); the history purge drops whole blocks below the purge
 * horizon.
 */
@Entity({ name: 'scope_change' })
@Check('ck_scope_change_kind', `kind IN ('add', 'remove')`)
export class ScopeChangeEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_scope_change' })
  tenantId!: string;

  @PrimaryColumn({ name: 'scope_key', type: 'text', primaryKeyConstraintName: 'pk_scope_change' })
  scopeKey!: string;

  @PrimaryColumn({ name: 'change_seq', type: 'bigint', primaryKeyConstraintName: 'pk_scope_change' })
  changeSeq!: string;

  @Column({ type: 'text' })
  domain!: string;

  @Column({ name: 'mobile_id', type: 'uuid' })
  mobileId!: string;

  @Column({ type: 'text' })
  kind!: string;

  /** changed, reassigned, access_revoked, rules_changed. */
  @Column({ type: 'text' })
  reason!: string;

  /** When the entry was written (the default): a block goes only once its newest entry is old enough. */
  @Column({ name: 'changed_at', type: 'timestamptz', default: () => 'now()' })
  changedAt!: Date;
}
