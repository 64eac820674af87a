import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { DirectoryUserEntity } from './directory-user.entity';

/** One group of a user (`site:58`, `team:north`) with its role there; a supervisor also reads what members read. */
@Entity({ name: 'directory_membership' })
@Index('ix_directory_membership_group', ['tenantId', 'groupName', 'role'])
@Check('ck_directory_membership_role', `role IN ('member', 'supervisor')`)
export class DirectoryMembershipEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_directory_membership' })
  tenantId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'text', primaryKeyConstraintName: 'pk_directory_membership' })
  userId!: string;

  @PrimaryColumn({ name: 'group_name', type: 'text', primaryKeyConstraintName: 'pk_directory_membership' })
  groupName!: string;

  @ManyToOne(() => DirectoryUserEntity, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId', foreignKeyConstraintName: 'fk_directory_membership_user' },
    { name: 'user_id', referencedColumnName: 'userId', foreignKeyConstraintName: 'fk_directory_membership_user' },
  ])
  user?: DirectoryUserEntity;

  @Column({ type: 'text' })
  role!: string;

  /** change_seq when this group and role were granted: a pull whose cursor is older back-fills the group's keys. */
  @Column({ name: 'granted_seq', type: 'bigint', default: 0 })
  grantedSeq!: string;
}
