import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TenantEntity } from '../../tenant/entities/tenant.entity';

/** A person of the tenant's directory; the directory, not token claims, decides what a user's phone carries. */
@Entity({ name: 'directory_user' })
export class DirectoryUserEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_directory_user' })
  tenantId!: string;

  /** The credential's user: a JWT `sub` or an API key's bound user. */
  @PrimaryColumn({ name: 'user_id', type: 'text', primaryKeyConstraintName: 'pk_directory_user' })
  userId!: string;

  @ManyToOne(() => TenantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_directory_user_tenant' })
  tenant?: TenantEntity;

  @Column({ name: 'display_name', type: 'text', nullable: true })
  displayName!: string | null;

  /** false: the user holds no scope key at all. */
  @Column({ type: 'boolean', default: true })
  active!: boolean;

  /** change_seq of the last activation: a pull whose cursor is older back-fills the user's own key. */
  @Column({ name: 'granted_seq', type: 'bigint', default: 0 })
  grantedSeq!: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
