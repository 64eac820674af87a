import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export type QueueItemStatus = 'pending' | 'processed' | 'manual_required' | 'rejected';

/** One mutation a device pushed (a device id is its user's: ids are unique per user and device); its result is stored and replayed when the device retries. */
@Entity({ name: 'sync_queue_item' })
@Index('uq_sync_queue_item_user_mutation', ['tenantId', 'userId', 'deviceId', 'clientMutationId'], {
  unique: true,
  where: 'user_id IS NOT NULL',
})
@Index('uq_sync_queue_item_mutation', ['tenantId', 'deviceId', 'clientMutationId'], {
  unique: true,
  where: 'user_id IS NULL',
})
@Index('ix_sync_queue_item_pending', ['tenantId', 'priority', 'id'], { where: `status = 'pending'` })
@Index('ix_sync_queue_item_device_pending', ['tenantId', 'deviceId', 'id'], { where: `status = 'pending'` })
@Index('ix_sync_queue_item_processed', ['tenantId', 'processedAt'])
export class SyncQueueItemEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_sync_queue_item' })
  tenantId!: string;

  @PrimaryGeneratedColumn('identity', { type: 'bigint', primaryKeyConstraintName: 'pk_sync_queue_item' })
  id!: string;

  @Column({ name: 'device_id', type: 'text' })
  deviceId!: string;

  @Column({ name: 'user_id', type: 'text', nullable: true })
  userId!: string | null;

  @Column({ name: 'client_mutation_id', type: 'text' })
  clientMutationId!: string;

  /** SHA-256 of the mutation as sent; a retry with the same id and another payload is a 409. */
  @Column({ name: 'payload_hash', type: 'text' })
  payloadHash!: string;

  @Column({ type: 'text' })
  domain!: string;

  @Column({ name: 'mobile_id', type: 'uuid' })
  mobileId!: string;

  @Column({ name: 'base_version', type: 'integer' })
  baseVersion!: number;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  /** The schema version the device wrote the payload in (null: it sent none, so the current one). */
  @Column({ name: 'schema_version', type: 'integer', nullable: true })
  schemaVersion!: number | null;

  @Column({ type: 'boolean', default: false })
  deleted!: boolean;

  @Column({ name: 'client_updated_at', type: 'timestamptz', nullable: true })
  clientUpdatedAt!: Date | null;

  /** Device clock minus server clock when pushed, in ms; subtracted from client_updated_at before comparing. */
  @Column({ name: 'clock_offset_ms', type: 'bigint', nullable: true })
  clockOffsetMs!: number | null;

  /** 0 high, 1 medium, 2 low. */
  @Column({ type: 'smallint', default: 1 })
  priority!: number;

  @Column({ type: 'text', default: 'pending' })
  status!: QueueItemStatus;

  @Column({ type: 'jsonb', nullable: true })
  result!: Record<string, unknown> | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'enqueued_at', type: 'timestamptz', default: () => 'now()' })
  enqueuedAt!: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt!: Date | null;

  /** Milliseconds spent applying this item (its batch's time divided by its size): the queue-time estimate. */
  @Column({ name: 'processing_ms', type: 'real', nullable: true })
  processingMs!: number | null;
}
