import { Injectable } from '@nestjs/common';
import { NEXT_CHANGE_SEQ, enterFeed, feedHorizon } from '../../database/feed-lock';
import { Queryable, sql } from '../../database/sql';
import type { ChangeReason } from './scope.policy';

export interface StoredKeyRow {
  domain: string;
  mobile_id: string;
  scope_key: string;
  created_by: string | null;
}

/** One key of one record version: a log row, and the record_scope row to insert, delete or keep. */
export interface KeyChangeRow {
  domain: string;
  mobile_id: string;
  scope_key: string;
  change_seq: string;
  kind: 'add' | 'remove';
  reason: ChangeReason;
  store: 'insert' | 'delete' | 'keep';
  created_by: string | null;
}

/** One record of a scoped feed page: its last log entry in the page and whether the principal still reaches it. */
export interface FeedRecordRow {
  domain: string;
  mobile_id: string;
  last_seq: string;
  reachable: boolean;
  /** The reason of the last removal in the page, null when the page holds none for this record. */
  remove_reason: ChangeReason | null;
  /** Repeated on every row: the page holds more entries than the limit. */
  has_more: boolean;
}

export interface ScopedRecordRow {
  domain: string;
  mobile_id: string;
}

/**
 * SQL true when the record row `record` (a relation with tenant_id, domain, mobile_id) holds one of the keys in the
 * text[] parameter `keys`, or when `keys` is NULL (no scope applies): a probe of pk_record_scope per key. `OFFSET 0`
 * keeps it a probe: without it PostgreSQL may plan the EXISTS as a hashed subplan, a sequential scan of every
 * record_scope row holding a key, once per statement: 83 ms of a 1,000-record snapshot page over 100,000 records in
 * scope (bench case resync), for pages that only need 1,000 probes.
 */
export function holdsAnyKeySql(record: string, keys: string): string {
  return `(${keys}::text[] IS NULL OR EXISTS (SELECT 1 FROM record_scope s WHERE s.tenant_id = ${record}.tenant_id
     AND s.domain = ${record}.domain AND s.mobile_id = ${record}.mobile_id AND s.scope_key = ANY(${keys}::text[])
     OFFSET 0))`;
}

/** record_scope and scope_change, always written together: the keys a record holds now and each key's log. */
@Injectable()
export class ScopeIndexRepository {
  async storedKeys(
    db: Queryable,
    tenantId: string,
    records: Array<{ domain: string; mobileId: string }>,
  ): Promise<StoredKeyRow[]> {
    if (records.length === 0) return [];
    return sql<StoredKeyRow>(
      db,
      `SELECT s.domain, s.mobile_id, s.scope_key, s.created_by
       FROM record_scope s
       JOIN unnest($2::text[], $3::uuid[]) AS k(domain, mobile_id) ON s.domain = k.domain AND s.mobile_id = k.mobile_id
       WHERE s.tenant_id = $1
       ORDER BY s.domain, s.mobile_id, s.scope_key`,
      [tenantId, records.map((r) => r.domain), records.map((r) => r.mobileId)],
    );
  }

  /**
   * One page of the logs of `keys` after `afterSeq`: a merge of one primary-key range scan per key (each cut at
   * `limit + 1`), the first `limit` distinct log positions, then one row per record, in order of its last position.
   * Cost depends on the keys and the limit, never on the size of the tenant.
   */
  async feedAfter(
    db: Queryable,
    tenantId: string,
    keys: string[],
    afterSeq: string,
    domains: string[] | null,
    limit: number,
  ): Promise<FeedRecordRow[]> {
    if (keys.length === 0) return [];
    const horizon = await feedHorizon(db, tenantId);
    return sql<FeedRecordRow>(
      db,
      `WITH merged AS (
         SELECT DISTINCT ON (c.change_seq) c.change_seq, c.domain, c.mobile_id, c.kind, c.reason
         FROM unnest($2::text[]) AS k(scope_key)
         CROSS JOIN LATERAL (
           SELECT x.change_seq, x.domain, x.mobile_id, x.kind, x.reason FROM scope_change x
           WHERE x.tenant_id = $1 AND x.scope_key = k.scope_key AND x.change_seq > $3 AND x.change_seq <= $6
             AND ($4::text[] IS NULL OR x.domain = ANY($4::text[]))
           ORDER BY x.change_seq LIMIT $5 + 1) c
         ORDER BY c.change_seq, c.kind = 'remove' DESC
         LIMIT $5 + 1),
       page AS (SELECT * FROM merged ORDER BY change_seq LIMIT $5),
       per_record AS (
         SELECT p.domain, p.mobile_id, max(p.change_seq) AS last_seq,
                (array_agg(p.reason ORDER BY p.change_seq DESC) FILTER (WHERE p.kind = 'remove'))[1] AS remove_reason
         FROM page p GROUP BY p.domain, p.mobile_id)
       SELECT r.domain, r.mobile_id, r.last_seq::text AS last_seq, r.remove_reason,
              EXISTS (SELECT 1 FROM record_scope s
                      WHERE s.tenant_id = $1 AND s.domain = r.domain AND s.mobile_id = r.mobile_id
                        AND s.scope_key = ANY($2::text[])) AS reachable,
              (SELECT count(*) FROM merged) > $5 AS has_more
       FROM per_record r
       ORDER BY r.last_seq`,
      [tenantId, keys, afterSeq, domains, limit, horizon],
    );
  }

  /** Records holding one key, in (domain, mobile_id) order after a position: a range scan of ix_record_scope_key. */
  async recordsOfKey(
    db: Queryable,
    tenantId: string,
    scopeKey: string,
    after: ScopedRecordRow | null,
    domains: string[] | null,
    limit: number,
  ): Promise<ScopedRecordRow[]> {
    return sql<ScopedRecordRow>(
      db,
      `SELECT s.domain, s.mobile_id FROM record_scope s
       WHERE s.tenant_id = $1 AND s.scope_key = $2
         AND ($3::text IS NULL OR (s.domain, s.mobile_id) > ($3::text, $4::uuid))
         AND ($5::text[] IS NULL OR s.domain = ANY($5::text[]))
       ORDER BY s.domain, s.mobile_id LIMIT $6`,
      [tenantId, scopeKey, after?.domain ?? null, after?.mobile_id ?? null, domains, limit],
    );
  }

  /** `count` fresh change_seqs as a writer of the tenant's feed (enterFeed), so readers keep the log in order. */
  async takeSeqs(db: Queryable, tenantId: string, count: number): Promise<string[]> {
    if (count === 0) return [];
    await enterFeed(db, tenantId);
    const rows = await sql<{ seq: string }>(
      db,
      `SELECT ${NEXT_CHANGE_SEQ}::text AS seq FROM generate_series(1, $1::int)`,
      [count],
    );
    return rows.map((row) => row.seq);
  }

  /** The record_scope rows and the log rows of a whole batch, in one statement. */
  async writeChanges(db: Queryable, tenantId: string, rows: KeyChangeRow[]): Promise<void> {
    if (rows.length === 0) return;
    await sql(
      db,
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($2::jsonb)
           AS x(domain text, mobile_id uuid, scope_key text, change_seq bigint, kind text, reason text, store text,
                created_by text)),
       dropped AS (
         DELETE FROM record_scope s USING input i
         WHERE s.tenant_id = $1 AND i.store = 'delete'
           AND s.domain = i.domain AND s.mobile_id = i.mobile_id AND s.scope_key = i.scope_key),
       stored AS (
         INSERT INTO record_scope (tenant_id, domain, mobile_id, scope_key, created_by)
         SELECT $1, i.domain, i.mobile_id, i.scope_key, i.created_by FROM input i WHERE i.store = 'insert'
         ON CONFLICT ON CONSTRAINT pk_record_scope DO NOTHING)
       INSERT INTO scope_change (tenant_id, scope_key, change_seq, domain, mobile_id, kind, reason)
       SELECT $1, i.scope_key, i.change_seq, i.domain, i.mobile_id, i.kind, i.reason FROM input i`,
      [tenantId, JSON.stringify(rows)],
    );
  }

  /**
   * Logs a removal (reason access_revoked) under `notifyKey` for every record that holds one of `lostKeys` and none
   * of `keptKeys`, each with a fresh change_seq taken as a writer of the tenant's feed (enterFeed, as sync_record
   * writes do, so readers see the log in order). Returns how many removals were logged.
   */
  async logRevocations(
    db: Queryable,
    tenantId: string,
    notifyKey: string,
    lostKeys: string[],
    keptKeys: string[],
  ): Promise<number> {
    if (lostKeys.length === 0) return 0;
    await enterFeed(db, tenantId);
    const rows = await sql<{ n: string }>(
      db,
      `WITH lost AS (
         SELECT DISTINCT s.domain, s.mobile_id FROM record_scope s
         WHERE s.tenant_id = $1 AND s.scope_key = ANY($3::text[])
           AND NOT EXISTS (SELECT 1 FROM record_scope k
                           WHERE k.tenant_id = $1 AND k.domain = s.domain AND k.mobile_id = s.mobile_id
                             AND k.scope_key = ANY($4::text[]))
         ORDER BY s.domain, s.mobile_id),
       logged AS (
         INSERT INTO scope_change (tenant_id, scope_key, change_seq, domain, mobile_id, kind, reason)
         SELECT $1, $2, ${NEXT_CHANGE_SEQ}, lost.domain, lost.mobile_id, 'remove', 'access_revoked' FROM lost
         RETURNING 1)
       SELECT count(*)::text AS n FROM logged`,
      [tenantId, notifyKey, lostKeys, keptKeys],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
