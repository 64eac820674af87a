import { Injectable } from '@nestjs/common';
import { Queryable, sql, sqlOne } from '../../database/sql';
import type { Entry, MergeDetails } from './conflict.policy';
import type { ConflictResult, ConflictSource, WinningVersion } from './entities/conflict-log.entity';

/** One conflict to log; the push path builds these inside its transaction. */
export interface ConflictLogInsert {
  id: string;
  domain: string;
  mobileId: string | null;
  deviceId: string | null;
  userId: string | null;
  serverVersion: number | null;
  clientVersion: number | null;
  baseVersion: number | null;
  strategy: string;
  result: ConflictResult;
  winningVersion: WinningVersion;
  mergeDetails: MergeDetails | Record<string, unknown>;
  serverEntry: Entry;
  clientEntry: Entry;
  baseEntry: Entry | null;
  resultEntry: Entry | null;
  source: ConflictSource;
  queueItemId: string | null;
  clientMutationId: string | null;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  /** Queue a `conflict` notification with the row (the policy's notify_on_conflict). */
  notify: boolean;
}

export interface ConflictLogRow {
  id: string;
  domain: string;
  mobile_id: string | null;
  device_id: string | null;
  user_id: string | null;
  server_version: number | null;
  client_version: number | null;
  base_version: number | null;
  resolution_strategy: string;
  resolution_result: ConflictResult;
  winning_version: WinningVersion;
  merge_details: Record<string, unknown>;
  server_entry: Entry;
  client_entry: Entry;
  base_entry: Entry | null;
  result_entry: Entry | null;
  source: ConflictSource;
  queue_item_id: string | null;
  client_mutation_id: string | null;
  resolved_by: string | null;
  resolved_at: Date | null;
  restored_by: string | null;
  restored_at: Date | null;
  created_at: Date;
  /** created_at in microseconds since the epoch, for keyset cursors (Date keeps only milliseconds). */
  created_us: string;
}

export interface ConflictLogFilter {
  domain: string | null;
  result: ConflictResult | null;
  since: Date | null;
  /** Keyset position: rows strictly after (created_us, id) in (created_at desc, id desc) order. */
  after: { createdUs: string; id: string } | null;
}

export interface CountRow {
  key: string;
  count: number;
}

export interface ConflictCounts {
  total: number;
  by_domain: CountRow[];
  by_strategy: CountRow[];
  by_result: CountRow[];
  top_devices: CountRow[];
  pending_reviews: number;
}

const ROW = `id, domain, mobile_id, device_id, user_id, server_version, client_version, base_version,
  resolution_strategy, resolution_result, winning_version, merge_details, server_entry, client_entry, base_entry,
  result_entry, source, queue_item_id::text, client_mutation_id, resolved_by, resolved_at, restored_by, restored_at,
  created_at, (extract(epoch FROM created_at) * 1000000)::bigint::text AS created_us`;

const RECORDSET = `x(id uuid, domain text, mobile_id uuid, device_id text, user_id text, server_version int,
  client_version int, base_version int, resolution_strategy text, resolution_result text, winning_version text,
  merge_details jsonb, server_entry jsonb, client_entry jsonb, base_entry jsonb, result_entry jsonb, source text,
  queue_item_id bigint, client_mutation_id text, resolved_by text, resolved_at timestamptz)`;

/** conflict_log: the audit trail and the manual review queue. */
@Injectable()
export class ConflictLogRepository {
  /** Every row in one statement, whatever the number of conflicts. */
  async insertMany(db: Queryable, tenantId: string, conflicts: ConflictLogInsert[]): Promise<void> {
    if (conflicts.length === 0) return;
    const records = conflicts.map((c) => ({
      id: c.id,
      domain: c.domain,
      mobile_id: c.mobileId,
      device_id: c.deviceId,
      user_id: c.userId,
      server_version: c.serverVersion,
      client_version: c.clientVersion,
      base_version: c.baseVersion,
      resolution_strategy: c.strategy,
      resolution_result: c.result,
      winning_version: c.winningVersion,
      merge_details: c.mergeDetails,
      server_entry: c.serverEntry,
      client_entry: c.clientEntry,
      base_entry: c.baseEntry,
      result_entry: c.resultEntry,
      source: c.source,
      queue_item_id: c.queueItemId,
      client_mutation_id: c.clientMutationId,
      resolved_by: c.resolvedBy,
      resolved_at: c.resolvedAt?.toISOString() ?? null,
    }));
    await sql(
      db,
      `INSERT INTO conflict_log (tenant_id, id, domain, mobile_id, device_id, user_id, server_version, client_version,
         base_version, resolution_strategy, resolution_result, winning_version, merge_details, server_entry,
         client_entry, base_entry, result_entry, source, queue_item_id, client_mutation_id, resolved_by, resolved_at)
       SELECT $1, x.id, x.domain, x.mobile_id, x.device_id, x.user_id, x.server_version, x.client_version,
         x.base_version, x.resolution_strategy, x.resolution_result, x.winning_version, x.merge_details,
         x.server_entry, x.client_entry, x.base_entry, x.result_entry, x.source, x.queue_item_id,
         x.client_mutation_id, x.resolved_by, x.resolved_at
       FROM jsonb_to_recordset($2::jsonb) AS ${RECORDSET}`,
      [tenantId, JSON.stringify(records)],
    );
  }

  async findById(db: Queryable, tenantId: string, id: string): Promise<ConflictLogRow | undefined> {
    return sqlOne<ConflictLogRow>(db, `SELECT ${ROW} FROM conflict_log WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
    ]);
  }

  /** Newest first; keyset over (created_at desc, id desc). */
  async page(db: Queryable, tenantId: string, filter: ConflictLogFilter, limit: number): Promise<ConflictLogRow[]> {
    return sql<ConflictLogRow>(
      db,
      `SELECT ${ROW} FROM conflict_log
       WHERE tenant_id = $1
         AND ($2::text IS NULL OR domain = $2)
         AND ($3::text IS NULL OR resolution_result = $3)
         AND ($4::timestamptz IS NULL OR created_at >= $4)
         AND ($5::bigint IS NULL
              OR (created_at, id) < (timestamptz 'epoch' + $5::bigint * interval '1 microsecond', $6::uuid))
       ORDER BY created_at DESC, id DESC
       LIMIT $7`,
      [
        tenantId,
        filter.domain,
        filter.result,
        filter.since?.toISOString() ?? null,
        filter.after?.createdUs ?? null,
        filter.after?.id ?? null,
        limit,
      ],
    );
  }

  /**
   * Marks a conflict awaiting review as resolved by a person, keeping the chosen copy; undefined when it is not
   * awaiting review (already resolved, resolved automatically, failed or absent). Locks the row until commit.
   */
  async markResolved(
    db: Queryable,
    tenantId: string,
    id: string,
    choose: 'client' | 'server' | 'merged',
    mergedEntry: Entry | null,
    resolvedBy: string,
  ): Promise<ConflictLogRow | undefined> {
    return sqlOne<ConflictLogRow>(
      db,
      `UPDATE conflict_log SET
         winning_version = $3,
         result_entry = CASE $3 WHEN 'client' THEN client_entry WHEN 'server' THEN server_entry ELSE $4::jsonb END,
         resolved_by = $5,
         resolved_at = now()
       WHERE tenant_id = $1 AND id = $2 AND resolution_result = 'manual_required' AND resolved_at IS NULL
       RETURNING ${ROW}`,
      [tenantId, id, choose, mergedEntry === null ? null : JSON.stringify(mergedEntry), resolvedBy],
    );
  }

  /** Records who restored the losing copy of an automatic push resolution; undefined when it cannot be restored. */
  async markRestored(
    db: Queryable,
    tenantId: string,
    id: string,
    restoredBy: string,
  ): Promise<ConflictLogRow | undefined> {
    return sqlOne<ConflictLogRow>(
      db,
      `UPDATE conflict_log SET restored_by = $3, restored_at = now()
       WHERE tenant_id = $1 AND id = $2 AND source = 'push' AND resolution_result = 'resolved'
         AND restored_at IS NULL AND mobile_id IS NOT NULL AND winning_version IN ('client', 'server', 'merged')
       RETURNING ${ROW}`,
      [tenantId, id, restoredBy],
    );
  }

  /** Conflicts per domain in (since, until], most first, top `limit`. */
  async countByDomain(db: Queryable, tenantId: string, since: Date, until: Date, limit: number): Promise<CountRow[]> {
    return sql<CountRow>(
      db,
      `SELECT domain AS key, count(*)::int AS count FROM conflict_log
       WHERE tenant_id = $1 AND created_at > $2 AND created_at <= $3
       GROUP BY domain ORDER BY count DESC, domain LIMIT $4`,
      [tenantId, since.toISOString(), until.toISOString(), limit],
    );
  }

  /** Every count of the conflict report in one statement; pending reviews are counted whatever their age. */
  async counts(db: Queryable, tenantId: string, since: Date, until: Date, topDevices: number): Promise<ConflictCounts> {
    const row = await sqlOne<ConflictCounts>(
      db,
      `WITH w AS (
         SELECT domain, resolution_strategy, resolution_result, device_id FROM conflict_log
         WHERE tenant_id = $1 AND created_at > $2 AND created_at <= $3)
       SELECT
         (SELECT count(*)::int FROM w) AS total,
         (SELECT coalesce(jsonb_agg(jsonb_build_object('key', k, 'count', n) ORDER BY n DESC, k), '[]')
            FROM (SELECT domain AS k, count(*)::int AS n FROM w GROUP BY domain) g) AS by_domain,
         (SELECT coalesce(jsonb_agg(jsonb_build_object('key', k, 'count', n) ORDER BY n DESC, k), '[]')
            FROM (SELECT resolution_strategy AS k, count(*)::int AS n FROM w GROUP BY resolution_strategy) g)
           AS by_strategy,
         (SELECT coalesce(jsonb_agg(jsonb_build_object('key', k, 'count', n) ORDER BY n DESC, k), '[]')
            FROM (SELECT resolution_result AS k, count(*)::int AS n FROM w GROUP BY resolution_result) g) AS by_result,
         (SELECT coalesce(jsonb_agg(jsonb_build_object('key', k, 'count', n) ORDER BY n DESC, k), '[]')
            FROM (SELECT device_id AS k, count(*)::int AS n FROM w WHERE device_id IS NOT NULL
                  GROUP BY device_id ORDER BY n DESC, device_id LIMIT $4) g) AS top_devices,
         (SELECT count(*)::int FROM conflict_log
            WHERE tenant_id = $1 AND resolution_result = 'manual_required' AND resolved_at IS NULL) AS pending_reviews`,
      [tenantId, since.toISOString(), until.toISOString(), topDevices],
    );
    return row!;
  }
}
