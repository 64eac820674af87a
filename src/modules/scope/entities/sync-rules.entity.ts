import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TenantEntity } from '../../tenant/entities/tenant.entity';

/** One version of a tenant's scope rules; the highest version is in force, older ones are history. */
@Entity({ name: 'sync_rules' })
export class SyncRulesEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_sync_rules' })
  tenantId!: string;

  @PrimaryColumn({ type: 'integer', primaryKeyConstraintName: 'pk_sync_rules' })
  version!: number;

  @ManyToOne(() => TenantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_sync_rules_tenant' })
  tenant?: TenantEntity;

  /** Complete, validated rules of every domain (SyncRules). */
  @Column({ type: 'jsonb' })
  rules!: Record<string, unknown>;

  /** true once every stored record's keys follow this version. */
  @Column({ type: 'boolean', default: false })
  applied!: boolean;

  /** The background application: records done, records to do, and the last record done (resume point). */
  @Column({ type: 'jsonb' })
  progress!: Record<string, unknown>;

  @Column({ name: 'created_by', type: 'text', nullable: true })
  createdBy!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
