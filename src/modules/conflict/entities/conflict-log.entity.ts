import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { Entry, MergeDetails } from '../conflict.policy';

export const CONFLICT_RESULTS = ['resolved', 'manual_required', 'failed'] as const;
export type ConflictResult = (typeof CONFLICT_RESULTS)[number];
export const WINNING_VERSIONS = ['client', 'server', 'merged', 'none'] as const;
export type WinningVersion = (typeof WINNING_VERSIONS)[number];
export const CONFLICT_SOURCES = ['push', 'api'] as const;
export type ConflictSource = (typeof CONFLICT_SOURCES)[number];

/** The review queue; the partial index below and every query of the queue share this predicate. */
export const AWAITING_REVIEW = `resolution_result = 'manual_required' AND resolved_at IS NULL`;

/** Audit trail of every conflict resolution; manual_required rows without resolved_at are the review queue. */
@Entity({ name: 'conflict_log' })
@Index('ix_conflict_log_created', ['tenantId', 'createdAt', 'id'])
@Index('ix_conflict_log_domain_created', ['tenantId', 'domain', 'createdAt'])
@Index('ix_conflict_log_pending_review', ['tenantId', 'createdAt'], { where: AWAITING_REVIEW })
export class ConflictLogEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint', primaryKeyConstraintName: 'pk_conflict_log' })
  tenantId!: string;

  /** Chosen by the caller, so a push can name the conflict in its item result before the row exists. */
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_conflict_log' })
  id!: string;

  @Column({ type: 'text' })
  domain!: string;

  @Column({ name: 'mobile_id', type: 'uuid', nullable: true })
  mobileId!: string | null;

  @Column({ name: 'device_id', type: 'text', nullable: true })
  deviceId!: string | null;

  @Column({ name: 'user_id', type: 'text', nullable: true })
  userId!: string | null;

  @Column({ name: 'server_version', type: 'integer', nullable: true })
  serverVersion!: number | null;

  @Column({ name: 'client_version', type: 'integer', nullable: true })
  clientVersion!: number | null;

  @Column({ name: 'base_version', type: 'integer', nullable: true })
  baseVersion!: number | null;

  @Column({ name: 'resolution_strategy', type: 'text' })
  resolutionStrategy!: string;

  @Column({ name: 'resolution_result', type: 'text' })
  resolutionResult!: ConflictResult;

  @Column({ name: 'winning_version', type: 'text' })
  winningVersion!: WinningVersion;

  @Column({ name: 'merge_details', type: 'jsonb' })
  mergeDetails!: MergeDetails;

  @Column({ name: 'server_entry', type: 'jsonb' })
  serverEntry!: Entry;

  @Column({ name: 'client_entry', type: 'jsonb' })
  clientEntry!: Entry;

  @Column({ name: 'base_entry', type: 'jsonb', nullable: true })
  baseEntry!: Entry | null;

  @Column({ name: 'result_entry', type: 'jsonb', nullable: true })
  resultEntry!: Entry | null;

  @Column({ type: 'text' })
  source!: ConflictSource;

  @Column({ name: 'queue_item_id', type: 'bigint', nullable: true })
  queueItemId!: string | null;

  @Column({ name: 'client_mutation_id', type: 'text', nullable: true })
  clientMutationId!: string | null;

  @Column({ name: 'resolved_by', type: 'text', nullable: true })
  resolvedBy!: string | null;

  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;

  @Column({ name: 'restored_by', type: 'text', nullable: true })
  restoredBy!: string | null;

  @Column({ name: 'restored_at', type: 'timestamptz', nullable: true })
  restoredAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
