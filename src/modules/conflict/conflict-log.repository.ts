import { Injectable } from '@nestjs/common';
import { stringifyInSlices } from '../../common/async/time-slice';
import { Queryable, sql, sqlOne } from '../../database/sql';
import type { Entry, MergeDetails } from './conflict.policy';
import { AWAITING_REVIEW, ConflictResult, ConflictSource, WinningVersion } from './entities/conflict-log.entity';

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
  mergeDetails: MergeDetails;
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

type LoggedField = Exclude<keyof ConflictLogInsert, 'notify'>;

/** The column each logged field fills; the INSERT, the select list and ConflictLogRow all derive from it. */
const COLUMN_OF = {
  id: 'id',
  domain: 'domain',
  mobileId: 'mobile_id',
  deviceId: 'device_id',
  userId: 'user_id',
  serverVersion: 'server_version',
  clientVersion: 'client_version',
  baseVersion: 'base_version',
  strategy: 'resolution_strategy',
  result: 'resolution_result',
  winningVersion: 'winning_version',
  mergeDetails: 'merge_details',
  serverEntry: 'server_entry',
  clientEntry: 'client_entry',
  baseEntry: 'base_entry',
  resultEntry: 'result_entry',
  source: 'source',
  queueItemId: 'queue_item_id',
  clientMutationId: 'client_mutation_id',
  resolvedBy: 'resolved_by',
  resolvedAt: 'resolved_at',
} as const satisfies Record<LoggedField, string>;

type ColumnOf = typeof COLUMN_OF;

export type ConflictLogRow = { [F in LoggedField as ColumnOf[F]]: ConflictLogInsert[F] } & {
  restored_by: string | null;
  restored_at: Date | null;
  created_at: Date;
  /** created_at in microseconds since the epoch, for keyset cursors (Date keeps only milliseconds). */
  created_us: string;
};

const LOGGED = Object.entries(COLUMN_OF) as Array<[LoggedField, ColumnOf[LoggedField]]>;
const LOGGED_COLUMNS = LOGGED.map(([, column]) => column).join(', ');
const ROW = `${LOGGED_COLUMNS}, restored_by, restored_at, created_at,
  (extract(epoch FROM created_at) * 1000000)::bigint::text AS created_us`;

export interface ConflictLogFilter {
  domain: string | null;
  result: ConflictResult | null;
  /** true: only the review queue; false: everything else. */
  awaitingReview: boolean | null;
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

/** The rows of window `w` counted by `column`, as a JSON array of CountRow, most first. */
function tally(column: string, where = '', limit = ''): string {
  return `(SELECT coalesce(jsonb_agg(jsonb_build_object('key', k, 'count', n) ORDER BY n DESC, k), '[]')
    FROM (SELECT ${column} AS k, count(*)::int AS n FROM w ${where} GROUP BY ${column} ${limit}) g)`;
}

/** conflict_log: the audit trail and the manual review queue. */
@Injectable()
export class ConflictLogRepository {
  /** Every row in one statement, whatever the number of conflicts; the column types come from the table. */
  async insertMany(db: Queryable, tenantId: string, conflicts: ConflictLogInsert[]): Promise<void> {
    if (conflicts.length === 0) return;
    const records = conflicts.map((c) => Object.fromEntries(LOGGED.map(([field, column]) => [column, c[field]])));
    await sql(
      db,
      `INSERT INTO conflict_log (tenant_id, ${LOGGED_COLUMNS})
       SELECT $1, ${LOGGED_COLUMNS} FROM jsonb_populate_recordset(NULL::conflict_log, $2::jsonb)`,
      [tenantId, await stringifyInSlices(records)],
    );
  }

  async findById(db: Queryable, tenantId: string, id: string): Promise<ConflictLogRow | undefined> {
    return sqlOne<ConflictLogRow>(db, `SELECT ${ROW} FROM conflict_log WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
    ]);
  }

  /**
   * Newest first; keyset over (created_at desc, id desc). Only the filters given become conditions, so the planner
   * sees literal predicates and picks the matching index (the review queue has a partial one).
   */
  /**
   * At most `limit` entries and at most `maxBytes` of row text (always at least one), newest first, cut in SQL by a
   * running sum; `fetched` counts the rows the window saw (up to `limit`).
   */
  async page(
    db: Queryable,
    tenantId: string,
    filter: ConflictLogFilter,
    limit: number,
    maxBytes: number,
  ): Promise<{ rows: ConflictLogRow[]; fetched: number }> {
    const params: unknown[] = [tenantId];
    const param = (value: unknown): string => `$${params.push(value)}`;
    const where = ['tenant_id = $1'];
    if (filter.domain !== null) where.push(`domain = ${param(filter.domain)}`);
    if (filter.result !== null) where.push(`resolution_result = ${param(filter.result)}`);
    if (filter.awaitingReview !== null)
      where.push(filter.awaitingReview ? AWAITING_REVIEW : `NOT (${AWAITING_REVIEW})`);
    if (filter.since !== null) where.push(`created_at >= ${param(filter.since.toISOString())}`);
    if (filter.after !== null) {
      where.push(
        `(created_at, id) < (timestamptz 'epoch' + ${param(filter.after.createdUs)}::bigint * interval '1 microsecond',
          ${param(filter.after.id)}::uuid)`,
      );
    }
    const rows = await sql<ConflictLogRow & { n: string; running: string; fetched: string }>(
      db,
      `WITH page AS (
         SELECT ${ROW}, row_number() OVER w AS n, sum(octet_length(conflict_log::text)) OVER w AS running
         FROM conflict_log WHERE ${where.join(' AND ')}
         WINDOW w AS (ORDER BY created_at DESC, id DESC ROWS UNBOUNDED PRECEDING)
         ORDER BY created_at DESC, id DESC LIMIT ${param(limit)})
       SELECT *, (SELECT count(*) FROM page)::text AS fetched FROM page
       WHERE n = 1 OR running <= ${param(maxBytes)} ORDER BY n`,
      params,
    );
    const fetched = rows.length > 0 ? Number(rows[0].fetched) : 0;
    return { rows: rows.map(({ n: _n, running: _running, fetched: _fetched, ...row }) => row), fetched };
  }

  /**
   * Marks a conflict awaiting review as resolved by a person, keeping the chosen copy; undefined when it is not
   * awaiting review (already resolved, resolved automatically, failed or absent). Locks the row until commit.
   */
  async markResolved(
    db: Queryable,
    tenantId: string,
    id: string,
    choose: Exclude<WinningVersion, 'none'>,
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
       WHERE tenant_id = $1 AND id = $2 AND ${AWAITING_REVIEW}
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
         ${tally('domain')} AS by_domain,
         ${tally('resolution_strategy')} AS by_strategy,
         ${tally('resolution_result')} AS by_result,
         ${tally('device_id', 'WHERE device_id IS NOT NULL', 'ORDER BY n DESC, device_id LIMIT $4')} AS top_devices,
         (SELECT count(*)::int FROM conflict_log WHERE tenant_id = $1 AND ${AWAITING_REVIEW}) AS pending_reviews`,
      [tenantId, since.toISOString(), until.toISOString(), topDevices],
    );
    return row!;
  }
}
