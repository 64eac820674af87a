import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TenantEntity } from '../../tenant/entities/tenant.entity';
import type { ResolutionPolicy } from '../conflict.policy';

/** A tenant's override of one domain's conflict policy; domains without a row use DEFAULT_POLICIES. */
@Entity({ name: 'conflict_policy' })
export class ConflictPolicyEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_conflict_policy' })
  tenantId!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_conflict_policy' })
  domain!: string;

  @ManyToOne(() => TenantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_conflict_policy_tenant' })
  tenant?: TenantEntity;

  @Column({ name: 'resolution_policy', type: 'text' })
  resolutionPolicy!: ResolutionPolicy;

  @Column({ name: 'auto_resolve', type: 'boolean' })
  autoResolve!: boolean;

  @Column({ name: 'notify_on_conflict', type: 'boolean' })
  notifyOnConflict!: boolean;

  @Column({ name: 'protected_fields', type: 'text', array: true, nullable: true })
  protectedFields!: string[] | null;

  @Column({ name: 'created_by', type: 'text', nullable: true })
  createdBy!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
