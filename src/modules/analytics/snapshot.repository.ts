import { Injectable } from '@nestjs/common';
import { Queryable, sql } from '../../database/sql';
import type { TimeWindow } from './analytics-window.policy';
import type { DomainBreakdown } from './entities/sync-analytics-snapshot.entity';

export interface SnapshotRow {
  id: string;
  tenant_id: string;
  window_start: Date;
  window_end: Date;
  total_sync_requests: number;
  successful_syncs: number;
  failed_syncs: number;
  success_rate_pct: number;
  avg_sync_duration_ms: number;
  p95_sync_duration_ms: number;
  avg_items_per_sync: number;
  total_items: string;
  total_conflicts: string;
  auto_resolved_conflicts: string;
  manual_conflicts: string;
  conflict_rate_pct: number;
  total_bytes_synced: string;
  bytes_saved_via_delta: string;
  bandwidth_efficiency_pct: number;
  unique_devices: number;
  unique_users: number;
  domain_breakdown: Record<string, DomainBreakdown>;
  created_at: Date;
}

const COLUMNS = `id, tenant_id, window_start, window_end, total_sync_requests, successful_syncs, failed_syncs,
  success_rate_pct, avg_sync_duration_ms, p95_sync_duration_ms, avg_items_per_sync, total_items, total_conflicts,
  auto_resolved_conflicts, manual_conflicts, conflict_rate_pct, total_bytes_synced, bytes_saved_via_delta,
  bandwidth_efficiency_pct, unique_devices, unique_users, domain_breakdown, created_at`;

/** A percentage rounded to 2 decimals, 0 when the denominator is 0. */
function pct(numerator: string, denominator: string): string {
  return `CASE WHEN (${denominator}) > 0 THEN round((100.0 * (${numerator}) / (${denominator}))::numeric, 2)::float8
          ELSE 0.0::float8 END`;
}

/** sync_analytics_snapshot: computed from sync_event in one aggregate statement, one row per tenant and window. */
@Injectable()
export class SnapshotRepository {
  /**
   * Aggregates the tenant's events in [start, end) and stores the snapshot; returns undefined when a snapshot of
   * this exact window already exists (another replica or an earlier run made it).
   */
  async createFromEvents(db: Queryable, tenantId: string, window: TimeWindow): Promise<SnapshotRow | undefined> {
    const rows = await sql<SnapshotRow>(
      db,
      `WITH e AS (
         SELECT * FROM sync_event WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3),
       d AS (
         SELECT c.key AS domain,
                sum(COALESCE((c.value->>'items')::bigint, 0)) AS items,
                sum(COALESCE((c.value->>'conflicts')::bigint, 0)) AS conflicts,
                sum(COALESCE((c.value->>'auto_resolved')::bigint, 0)) AS auto_resolved,
                sum(COALESCE((c.value->>'manual')::bigint, 0)) AS manual
         FROM e, jsonb_each(e.domain_counts) AS c
         GROUP BY c.key),
       a AS (
         SELECT count(*) AS total,
                count(*) FILTER (WHERE success) AS ok,
                COALESCE(avg(duration_ms), 0) AS avg_ms,
                COALESCE(percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms), 0) AS p95_ms,
                COALESCE(sum(items), 0) AS items,
                COALESCE(sum(items) FILTER (WHERE kind = 'push'), 0) AS pushed,
                COALESCE(sum(conflicts), 0) AS conflicts,
                COALESCE(sum(auto_resolved), 0) AS auto_resolved,
                COALESCE(sum(manual), 0) AS manual,
                COALESCE(sum(bytes_raw), 0) AS raw,
                COALESCE(sum(bytes_sent), 0) AS sent,
                COALESCE(sum(bytes_saved_delta), 0) AS saved_delta,
                count(DISTINCT device_id) AS devices,
                count(DISTINCT user_id) AS users
         FROM e)
       INSERT INTO sync_analytics_snapshot
         (tenant_id, window_start, window_end, total_sync_requests, successful_syncs, failed_syncs, success_rate_pct,
          avg_sync_duration_ms, p95_sync_duration_ms, avg_items_per_sync, total_items, total_conflicts,
          auto_resolved_conflicts, manual_conflicts, conflict_rate_pct, total_bytes_synced, bytes_saved_via_delta,
          bandwidth_efficiency_pct, unique_devices, unique_users, domain_breakdown)
       SELECT $1, $2, $3, a.total, a.ok, a.total - a.ok, ${pct('a.ok', 'a.total')},
              round(a.avg_ms::numeric, 2)::float8, round(a.p95_ms::numeric, 2)::float8,
              CASE WHEN a.total > 0 THEN round((a.items::numeric / a.total), 2)::float8 ELSE 0.0::float8 END,
              a.items, a.conflicts, a.auto_resolved, a.manual, ${pct('a.conflicts', 'a.pushed')},
              a.sent, a.saved_delta,
              GREATEST(0.0, ${pct('(a.raw - a.sent) + a.saved_delta', 'a.raw + a.saved_delta')}),
              a.devices, a.users,
              (SELECT COALESCE(jsonb_object_agg(d.domain, jsonb_build_object(
                        'items', d.items, 'conflicts', d.conflicts, 'auto_resolved', d.auto_resolved,
                        'manual', d.manual, 'conflict_rate_pct', ${pct('d.conflicts', 'd.items')})), '{}'::jsonb)
               FROM d)
       FROM a
       ON CONFLICT (tenant_id, window_start, window_end) DO NOTHING
       RETURNING ${COLUMNS}`,
      [tenantId, window.start.toISOString(), window.end.toISOString()],
    );
    return rows[0];
  }

  async findByWindow(db: Queryable, tenantId: string, window: TimeWindow): Promise<SnapshotRow | undefined> {
    const rows = await sql<SnapshotRow>(
      db,
      `SELECT ${COLUMNS} FROM sync_analytics_snapshot WHERE tenant_id = $1 AND window_start = $2 AND window_end = $3`,
      [tenantId, window.start.toISOString(), window.end.toISOString()],
    );
    return rows[0];
  }

  async latest(db: Queryable, tenantId: string): Promise<SnapshotRow | undefined> {
    const rows = await sql<SnapshotRow>(
      db,
      `SELECT ${COLUMNS} FROM sync_analytics_snapshot WHERE tenant_id = $1
       ORDER BY window_end DESC, id DESC LIMIT 1`,
      [tenantId],
    );
    return rows[0];
  }

  /** Snapshots whose window ends in [from, to], oldest first. */
  async listEndingBetween(
    db: Queryable,
    tenantId: string,
    from: Date,
    to: Date,
    limit: number,
  ): Promise<SnapshotRow[]> {
    return sql<SnapshotRow>(
      db,
      `SELECT ${COLUMNS} FROM sync_analytics_snapshot
       WHERE tenant_id = $1 AND window_end >= $2 AND window_end <= $3
       ORDER BY window_end, id LIMIT $4`,
      [tenantId, from.toISOString(), to.toISOString(), limit],
    );
  }
}
