import { Injectable } from '@nestjs/common';
import { Queryable, sql, sqlOne } from '../../database/sql';

export interface PurgeTarget {
  tenant_id: string;
  /** Highest change_seq of a tombstone that may go. */
  target: string;
}

/**
 * Deletes history of sync_record and sync_record_revision in short batches (keyset over change_seq, SKIP LOCKED so a
 * push never waits on the purge for long, and the purge never waits on a push). Each DELETE finds its rows by
 * `ctid = ANY(ARRAY(...))`, a TID scan: a join on ctid may be planned as a hash join over a sequential scan of the
 * whole table, once per batch.
 */
@Injectable()
export class SyncHistoryRepository {
  /**
   * Per tenant, the highest tombstone older than the cutoff that every active device has seen (none active: every
   * tombstone older than the cutoff).
   */
  async purgeTargets(db: Queryable, olderThan: Date, activeSince: Date): Promise<PurgeTarget[]> {
    return sql<PurgeTarget>(
      db,
      `WITH low AS (
         SELECT tenant_id, min(cursor) AS low FROM sync_device_cursor WHERE seen_at >= $2 GROUP BY tenant_id)
       SELECT r.tenant_id::text, max(r.change_seq)::text AS target
       FROM sync_record r LEFT JOIN low l ON l.tenant_id = r.tenant_id
       WHERE r.deleted AND r.updated_at < $1 AND (l.low IS NULL OR r.change_seq <= l.low)
       GROUP BY r.tenant_id`,
      [olderThan.toISOString(), activeSince.toISOString()],
    );
  }

  /**
   * One batch: tombstones after afterSeq up to the target (and older than the cutoff), with all their revisions.
   * Returns the last change_seq examined (the next batch's start) and the counts.
   */
  async purgeTombstoneBatch(
    db: Queryable,
    tenantId: string,
    afterSeq: string,
    target: string,
    olderThan: Date,
    limit: number,
  ): Promise<{ last: string | null; records: number; revisions: number }> {
    const row = await sqlOne<{ last: string | null; records: number; revisions: number }>(
      db,
      `WITH batch AS (
         SELECT ctid, domain, mobile_id, change_seq FROM sync_record
         WHERE tenant_id = $1 AND change_seq > $2 AND change_seq <= $3 AND deleted AND updated_at < $4
         ORDER BY change_seq
         LIMIT $5
         FOR UPDATE SKIP LOCKED),
       gone AS (
         DELETE FROM sync_record r WHERE r.ctid = ANY(ARRAY(SELECT ctid FROM batch)) RETURNING r.domain, r.mobile_id),
       revs AS (
         DELETE FROM sync_record_revision v USING gone g
         WHERE v.tenant_id = $1 AND v.domain = g.domain AND v.mobile_id = g.mobile_id
         RETURNING 1)
       SELECT (SELECT max(change_seq)::text FROM batch) AS last,
              (SELECT count(*) FROM gone)::int AS records,
              (SELECT count(*) FROM revs)::int AS revisions`,
      [tenantId, afterSeq, target, olderThan.toISOString(), limit],
    );
    return row ?? { last: null, records: 0, revisions: 0 };
  }

  /**
   * One batch of superseded revisions older than the cutoff whose record's current version every active device
   * has seen (upTo: the lowest active position, null when no device is active).
   */
  async purgeRevisionBatch(
    db: Queryable,
    tenantId: string,
    upTo: string | null,
    olderThan: Date,
    limit: number,
  ): Promise<number> {
    const row = await sqlOne<{ n: number }>(
      db,
      `WITH batch AS (
         SELECT v.ctid FROM sync_record_revision v
         JOIN sync_record r ON r.tenant_id = v.tenant_id AND r.domain = v.domain AND r.mobile_id = v.mobile_id
         WHERE v.tenant_id = $1 AND v.created_at < $3 AND v.version < r.version
           AND ($2::bigint IS NULL OR r.change_seq <= $2::bigint)
         LIMIT $4),
       gone AS (DELETE FROM sync_record_revision x WHERE x.ctid = ANY(ARRAY(SELECT ctid FROM batch)) RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [tenantId, upTo, olderThan.toISOString(), limit],
    );
    return row?.n ?? 0;
  }

  /** Tenants that have revisions older than the cutoff. */
  async tenantsWithOldRevisions(db: Queryable, olderThan: Date): Promise<string[]> {
    const rows = await sql<{ tenant_id: string }>(
      db,
      `SELECT DISTINCT tenant_id::text FROM sync_record_revision WHERE created_at < $1`,
      [olderThan.toISOString()],
    );
    return rows.map((row) => row.tenant_id);
  }

  /**
   * The tenants with entries in one scope_change partition (a block of change_seq), each with its newest entry's
   * time: one scan of that partition (the history purge reads the lowest block only, once a day).
   */
  async scopeLogHolders(db: Queryable, partition: string): Promise<Array<{ tenant_id: string; newest: Date }>> {
    return sql<{ tenant_id: string; newest: Date }>(
      db,
      `SELECT tenant_id::text, max(changed_at) AS newest FROM ${partition} GROUP BY tenant_id`,
    );
  }
}
