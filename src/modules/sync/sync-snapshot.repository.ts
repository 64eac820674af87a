import { Injectable } from '@nestjs/common';
import { excludeFeedWriters } from '../../database/feed-lock';
import { Queryable, sql, sqlOne } from '../../database/sql';

/**
 * 1 for open work (a non-terminal status, DOMAINS.md), 0 for history. The same text is the expression of the index
 * ix_sync_record_snapshot (migration DeviceCursorsPurge): change one, change both, or the page scan sorts.
 */
export const SNAPSHOT_RANK_SQL = `(CASE
  WHEN domain = 'task' AND upper(data->>'jobstatus') NOT IN ('COMPLETED', 'AUTOCLOSED') THEN 1
  WHEN domain = 'ticket' AND upper(data->>'status') NOT IN ('CLOSED', 'CANCELLED') THEN 1
  WHEN domain = 'work_order' AND upper(coalesce(data->>'workstatus', data->>'status')) NOT IN ('CLOSED', 'CANCELLED')
    THEN 1
  ELSE 0 END)`;

/**
 * A snapshot row as sent: the record's JSON as PostgreSQL prints it (data_json), never parsed by the app (a
 * snapshot row is never a tombstone, so data is always present).
 */
export interface SnapshotRow {
  domain: string;
  mobile_id: string;
  version: number;
  data_json: string;
  change_seq: string;
  updated_at: Date;
  rank: number;
}

/** Where a snapshot page starts: after (rank, change_seq) in descending order; null for the first page. */
export interface SnapshotPosition {
  rank: number;
  changeSeq: string;
}

/**
 * What a caller may read. Today the domains filter; per-user scopes add their keys here (one more AND in the page
 * and count statements), so the snapshot and the feed agree on what a caller sees.
 */
export interface SnapshotFilter {
  domains: string[] | null;
  /** A sync user's scope keys: only records holding one of them (null: the whole tenant, for admins). */
  keys: string[] | null;
  /** The scope module's test of a record row against the keys parameter (ScopeIndexService.holdsAnyKeySql). */
  holdsAnyKey: (record: string, keys: string) => string;
}

/** Reads of sync_record for replacement and first syncs: the current records as of one feed position. */
@Injectable()
export class SyncSnapshotRepository {
  /**
   * The feed position a snapshot stands on. Writers hold the tenant's feed lock (shared) from taking a change_seq to
   * commit (enterFeed), so once this transaction holds it exclusively every change_seq up to the tenant's highest is
   * committed: no row at or below the answer can still appear.
   */
  async position(db: Queryable, tenantId: string): Promise<string> {
    await excludeFeedWriters(db, tenantId);
    const row = await sqlOne<{ seq: string }>(
      db,
      `SELECT coalesce(max(change_seq), 0)::text AS seq FROM sync_record WHERE tenant_id = $1`,
      [tenantId],
    );
    return row?.seq ?? '0';
  }

  async count(db: Queryable, tenantId: string, upTo: string, filter: SnapshotFilter): Promise<number> {
    const row = await sqlOne<{ n: number }>(
      db,
      `SELECT count(*)::int AS n FROM sync_record
       WHERE tenant_id = $1 AND NOT deleted AND change_seq <= $2 AND ($3::text[] IS NULL OR domain = ANY($3::text[]))
         AND ${filter.holdsAnyKey('sync_record', '$4')}`,
      [tenantId, upTo, filter.domains, filter.keys],
    );
    return row?.n ?? 0;
  }

  /**
   * One page of the live records as they stood at upTo: rows changed since then carry a higher change_seq and are
   * left to the feed, which continues from upTo. A row at or below upTo never changes while it stays so, so the
   * keyset order is stable across pages and replicas. At most `limit` rows and at most `maxBytes` of record JSON
   * (always at least one row), cut in SQL by a running sum like the feed's pages; `fetched` counts the rows the scan
   * saw (up to `limit`), so a caller asking for one row more than it sends knows whether more follow. The record
   * JSON is printed once per row (data::text), for both the byte cut and the response: the app splices it into the
   * page as it is, without parsing and serialising it again.
   */
  async page(
    db: Queryable,
    tenantId: string,
    upTo: string,
    after: SnapshotPosition | null,
    filter: SnapshotFilter,
    limit: number,
    maxBytes: number,
  ): Promise<{ rows: SnapshotRow[]; fetched: number }> {
    const rows = await sql<SnapshotRow & { fetched: string }>(
      db,
      `WITH scan AS (
         SELECT domain, mobile_id, version, data::text AS data_json, change_seq, updated_at, ${SNAPSHOT_RANK_SQL} AS rank
         FROM sync_record
         WHERE tenant_id = $1 AND NOT deleted AND change_seq <= $2
           AND ($3::text[] IS NULL OR domain = ANY($3::text[]))
           AND (${SNAPSHOT_RANK_SQL}, change_seq) < ($4::int, $5::bigint)
           AND ${filter.holdsAnyKey('sync_record', '$7')}
         ORDER BY ${SNAPSHOT_RANK_SQL} DESC, change_seq DESC
         LIMIT $6),
       page AS (
         SELECT scan.*, row_number() OVER w AS n, sum(octet_length(data_json)) OVER w AS running FROM scan
         WINDOW w AS (ORDER BY rank DESC, change_seq DESC ROWS UNBOUNDED PRECEDING))
       SELECT domain, mobile_id, version, data_json, change_seq, updated_at, rank,
              (SELECT count(*) FROM page)::text AS fetched
       FROM page WHERE n = 1 OR running <= $8
       ORDER BY rank DESC, change_seq DESC`,
      [tenantId, upTo, filter.domains, after?.rank ?? 2, after?.changeSeq ?? '0', limit, filter.keys, maxBytes],
    );
    const fetched = rows.length > 0 ? Number(rows[0].fetched) : 0;
    return { rows: rows.map(({ fetched: _, ...row }) => row), fetched };
  }
}
