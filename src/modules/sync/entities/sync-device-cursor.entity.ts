import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The feed position each device last acknowledged (the cursor it sent), written by every pull. */
@Entity({ name: 'sync_device_cursor' })
@Index('ix_sync_device_cursor_seen', ['tenantId', 'seenAt'])
export class SyncDeviceCursorEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_sync_device_cursor' })
  tenantId!: string;

  /** '' for a credential without a user. */
  @PrimaryColumn({ name: 'user_id', type: 'text', primaryKeyConstraintName: 'pk_sync_device_cursor' })
  userId!: string;

  @PrimaryColumn({ name: 'device_id', type: 'text', primaryKeyConstraintName: 'pk_sync_device_cursor' })
  deviceId!: string;

  /** change_seq the device holds everything up to. */
  @Column({ type: 'bigint' })
  cursor!: string;

  @Column({ name: 'seen_at', type: 'timestamptz', default: () => 'now()' })
  seenAt!: Date;
}
