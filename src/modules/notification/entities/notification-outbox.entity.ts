import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export type NotificationStatus = 'pending' | 'delivered' | 'failed' | 'skipped';

/** Notifications waiting for webhook delivery (at-least-once, retried with backoff). */
@Entity({ name: 'notification_outbox' })
@Index('ix_notification_outbox_due', ['status', 'nextAttemptAt'], { where: `status = 'pending'` })
export class NotificationOutboxEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_notification_outbox' })
  tenantId!: string;

  @PrimaryGeneratedColumn('identity', { type: 'bigint', primaryKeyConstraintName: 'pk_notification_outbox' })
  id!: string;

  /** conflict, alert. */
  @Column({ type: 'text' })
  kind!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ type: 'text', default: 'pending' })
  status!: NotificationStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;
}
