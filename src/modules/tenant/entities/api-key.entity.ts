import { Column, CreateDateColumn, Entity, Generated, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TenantEntity } from './tenant.entity';

@Entity({ name: 'api_key' })
@Index('uq_api_key_hash', ['keyHash'], { unique: true })
export class ApiKeyEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_api_key' })
  tenantId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_api_key' })
  @Generated('uuid')
  id!: string;

  @ManyToOne(() => TenantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_api_key_tenant' })
  tenant?: TenantEntity;

  @Column({ type: 'text' })
  name!: string;

  /** SHA-256 of the whole key, hex; the key itself is never stored. */
  @Column({ name: 'key_hash', type: 'text' })
  keyHash!: string;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ name: 'user_id', type: 'text', nullable: true })
  userId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
