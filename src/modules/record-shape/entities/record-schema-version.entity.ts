import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TenantEntity } from '../../tenant/entities/tenant.entity';
import type { UpcastStep } from '../upcast.policy';

/** One version of a tenant's JSON Schema for a domain's records; immutable once stored. */
@Entity({ name: 'record_schema_version' })
@Check('ck_record_schema_version_positive', '"version" >= 1')
export class RecordSchemaVersionEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_record_schema_version' })
  tenantId!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_record_schema_version' })
  domain!: string;

  @PrimaryColumn({ type: 'integer', primaryKeyConstraintName: 'pk_record_schema_version' })
  version!: number;

  @ManyToOne(() => TenantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_record_schema_version_tenant' })
  tenant?: TenantEntity;

  @Column({ name: 'json_schema', type: 'jsonb' })
  jsonSchema!: Record<string, unknown>;

  /** Declarative steps from version - 1 (empty for version 1). */
  @Column({ type: 'jsonb', default: () => "'[]'" })
  upcast!: UpcastStep[];

  @Column({ name: 'created_by', type: 'text', nullable: true })
  createdBy!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
