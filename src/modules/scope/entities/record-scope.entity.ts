import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The scope keys a record holds now (`u:<user>`, `g:<group>:<role>`), written with every record version. */
@Entity({ name: 'record_scope' })
@Index('ix_record_scope_key', ['tenantId', 'scopeKey', 'domain', 'mobileId'])
export class RecordScopeEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_record_scope' })
  tenantId!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_record_scope' })
  domain!: string;

  @PrimaryColumn({ name: 'mobile_id', type: 'uuid', primaryKeyConstraintName: 'pk_record_scope' })
  mobileId!: string;

  @PrimaryColumn({ name: 'scope_key', type: 'text', primaryKeyConstraintName: 'pk_record_scope' })
  scopeKey!: string;

  /** Who wrote the record's first version, kept so later versions keep the creator's key. */
  @Column({ name: 'created_by', type: 'text', nullable: true })
  createdBy!: string | null;
}
