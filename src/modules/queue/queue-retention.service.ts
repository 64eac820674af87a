import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { withAdvisoryXactLock } from '../../database/advisory-lock';
import { isEmbedded } from '../../database/data-source-options';
import { Queryable, sql, sqlOne } from '../../database/sql';
import { DAY_MS } from '../../common/time/instant';
import { AppConfig } from '../../config/app-config';

/**
 * Removes queue items processed more than QUEUE_RESULT_RETENTION_DAYS ago (processed, manual_required or rejected:
 * their results were answered and are kept for replays until then), so sync_queue_item holds the recent past and
 * what is pending. A pending item is never removed (processed_at is null until it is processed). A retry of a
 * removed item's client_mutation_id is a new item (docs/api.md). One replica at a time (a transaction-scoped
 * advisory lock held by a transaction that touches no rows); per tenant, deletes of PURGE_BATCH_SIZE items in their
 * own short transactions, each a range scan of ix_sync_queue_item_processed (tenant_id, processed_at).
 */
@Injectable()
export class QueueRetentionService {
  private readonly logger = new Logger(QueueRetentionService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  async runRetention(now = new Date()): Promise<{ items: number } | undefined> {
    // The embedded database is one process with one connection: the lock's idle transaction would hold it.
    const outcome = isEmbedded(this.config)
      ? { ran: true as const, result: await this.remove(now) }
      : await withAdvisoryXactLock(this.db, 'queue:result-retention', () => this.remove(now));
    if (!outcome.ran) return undefined;
    this.logger.log(`queue retention: ${outcome.result} processed items removed`);
    return { items: outcome.result };
  }

  private async remove(now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.get('QUEUE_RESULT_RETENTION_DAYS') * DAY_MS);
    const batch = this.config.get('PURGE_BATCH_SIZE');
    let removed = 0;
    for (const tenantId of await tenantsWithOldItems(this.db, cutoff)) {
      for (;;) {
        const n = await this.db.transaction((m) => removeBatch(m, tenantId, cutoff, batch));
        removed += n;
        if (n < batch) break;
      }
    }
    return removed;
  }
}

/** Tenants with an item processed before the cutoff: one probe of ix_sync_queue_item_processed per tenant. */
async function tenantsWithOldItems(db: Queryable, cutoff: Date): Promise<string[]> {
  const rows = await sql<{ id: string }>(
    db,
    `SELECT t.id::text AS id FROM tenant t
      WHERE EXISTS (SELECT 1 FROM sync_queue_item q WHERE q.tenant_id = t.id AND q.processed_at < $1)
      ORDER BY t.id`,
    [cutoff.toISOString()],
  );
  return rows.map((row) => row.id);
}

/**
 * One batch of one tenant's items processed before the cutoff, oldest first. The ids go to the DELETE as an array
 * (primary-key probes): a join with the batch may be planned as a hash join over the tenant's whole queue.
 */
async function removeBatch(db: Queryable, tenantId: string, cutoff: Date, limit: number): Promise<number> {
  const row = await sqlOne<{ n: number }>(
    db,
    `WITH batch AS (
       SELECT id FROM sync_queue_item
        WHERE tenant_id = $1 AND processed_at < $2 AND status <> 'pending'
        ORDER BY processed_at LIMIT $3),
     gone AS (
       DELETE FROM sync_queue_item q WHERE q.tenant_id = $1 AND q.id = ANY (ARRAY(SELECT id FROM batch)) RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [tenantId, cutoff.toISOString(), limit],
  );
  return row?.n ?? 0;
}
