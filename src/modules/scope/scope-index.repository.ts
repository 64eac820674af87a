import { Injectable } from '@nestjs/common';
import { NEXT_CHANGE_SEQ, enterFeed, feedHorizon } from '../../database/feed-lock';
import { Queryable, sql } from '../../database/sql';
import type { UserMembershipRow } from './directory.repository';
import type { ChangeReason, Membership } from './scope.policy';
import type { SyncRules } from './sync-rules.policy';

export interface StoredKeyRow {
  domain: string;
  mobile_id: string;
  scope_key: string;
  created_by: string | null;
}

/** What a push batch's write checks and key writes read, in one statement (see readForBatch). */
export interface BatchReadRow {
  /** The version in force (0: the defaults) and its rules, null when it is the version the caller knows. */
  rules: { version: number; rules: SyncRules | null };
  stored: StoredKeyRow[];
  users: Array<{ user_id: string; active: boolean; memberships: Membership[] }>;
  memberships: UserMembershipRow[];
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
  /**
   * One primary-key range per record: `OFFSET 0` keeps the lateral subquery a per-record probe, which a plain join
   * is not (the statistics of a young tenant estimate a few rows, and the planner hashes all of the tenant's).
   */
  async storedKeys(
    db: Queryable,
    tenantId: string,
    records: Array<{ domain: string; mobileId: string }>,
  ): Promise<StoredKeyRow[]> {
    if (records.length === 0) return [];
    return sql<StoredKeyRow>(
      db,
      `SELECT s.domain, s.mobile_id, s.scope_key, s.created_by
       FROM unnest($2::text[], $3::uuid[]) AS k(domain, mobile_id)
       CROSS JOIN LATERAL (
         SELECT x.domain, x.mobile_id, x.scope_key, x.created_by FROM record_scope x
         WHERE x.tenant_id = $1 AND x.domain = k.domain AND x.mobile_id = k.mobile_id OFFSET 0) s
       ORDER BY s.domain, s.mobile_id, s.scope_key`,
      [tenantId, records.map((r) => r.domain), records.map((r) => r.mobileId)],
    );
  }

  /**
   * The reads of a push batch as one statement, each part index probes only: the rules version in force (with its
   * rules unless it is `knownVersion`), the stored keys of the records (one primary-key range per record, so a young
   * table's stale statistics cannot turn it into a scan of the tenant), the directory rows of `userIds`, and the
   * active memberships of `owners` plus, when `creatorOwners`, of the records' stored creators.
   */
  async readForBatch(
    db: Queryable,
    tenantId: string,
    records: Array<{ domain: string; mobileId: string }>,
    knownVersion: number | null,
    userIds: string[],
    owners: string[],
    creatorOwners: boolean,
  ): Promise<BatchReadRow> {
    const [row] = await sql<BatchReadRow>(
      db,
      `WITH stored AS MATERIALIZED (
         SELECT s.domain, s.mobile_id, s.scope_key, s.created_by
         FROM unnest($2::text[], $3::uuid[]) AS k(domain, mobile_id)
         CROSS JOIN LATERAL (
           SELECT x.domain, x.mobile_id, x.scope_key, x.created_by FROM record_scope x
           WHERE x.tenant_id = $1 AND x.domain = k.domain AND x.mobile_id = k.mobile_id OFFSET 0) s),
       owner AS (
         SELECT unnest($6::text[]) AS user_id
         UNION SELECT created_by FROM stored WHERE $7::boolean AND created_by IS NOT NULL)
       SELECT
         COALESCE((SELECT jsonb_build_object('version', r.version,
                                             'rules', CASE WHEN r.version = $4 THEN NULL ELSE r.rules END)
                   FROM sync_rules r WHERE r.tenant_id = $1 ORDER BY r.version DESC LIMIT 1),
                  jsonb_build_object('version', 0, 'rules', NULL)) AS rules,
         COALESCE((SELECT jsonb_agg(jsonb_build_object('domain', s.domain, 'mobile_id', s.mobile_id,
                                                       'scope_key', s.scope_key, 'created_by', s.created_by)
                                    ORDER BY s.domain, s.mobile_id, s.scope_key) FROM stored s), '[]') AS stored,
         COALESCE((SELECT jsonb_agg(jsonb_build_object('user_id', u.user_id, 'active', u.active, 'memberships',
                    COALESCE((SELECT jsonb_agg(jsonb_build_object('group', m.group_name, 'role', m.role)
                                               ORDER BY m.group_name)
                              FROM directory_membership m WHERE m.tenant_id = u.tenant_id AND m.user_id = u.user_id),
                             '[]')))
                   FROM directory_user u WHERE u.tenant_id = $1 AND u.user_id = ANY($5::text[])), '[]') AS users,
         COALESCE((SELECT jsonb_agg(jsonb_build_object('user_id', m.user_id, 'group', m.group_name, 'role', m.role)
                                    ORDER BY m.user_id, m.group_name)
                   FROM owner o
                   JOIN directory_user u ON u.tenant_id = $1 AND u.user_id = o.user_id AND u.active
                   JOIN directory_membership m ON m.tenant_id = $1 AND m.user_id = o.user_id), '[]') AS memberships`,
      [
        tenantId,
        records.map((r) => r.domain),
        records.map((r) => r.mobileId),
        knownVersion ?? -1,
        userIds,
        owners,
        creatorOwners,
      ],
    );
    return row;
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

  /**
   * Where the tenant's log is complete from: its purge horizon. The history purge drops scope_change blocks only
   * below it, so entries at or below it may be gone; a pull from the start then back-fills every key instead.
   */
  async logStart(db: Queryable, tenantId: string): Promise<string> {
    const rows = await sql<{ horizon: string }>(
      db,
      `SELECT horizon::text AS horizon FROM sync_purge_horizon WHERE tenant_id = $1`,
      [tenantId],
    );
    return rows[0]?.horizon ?? '0';
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

  /**
   * The record_scope rows and the log rows of a whole batch, in one statement, which also queues the commit's
   * wake-up (`pg_notify(channel, payload)`, delivered at commit like every notification).
   */
  async writeChanges(
    db: Queryable,
    tenantId: string,
    rows: KeyChangeRow[],
    signal: { channel: string; payload: string },
  ): Promise<void> {
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
         ON CONFLICT ON CONSTRAINT pk_record_scope DO NOTHING),
       logged AS (
         INSERT INTO scope_change (tenant_id, scope_key, change_seq, domain, mobile_id, kind, reason)
         SELECT $1, i.scope_key, i.change_seq, i.domain, i.mobile_id, i.kind, i.reason FROM input i)
       SELECT pg_notify($3, $4)`,
      [tenantId, JSON.stringify(rows), signal.channel, signal.payload],
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
