import { Injectable } from '@nestjs/common';
import type { DomainCounts, SyncEventKind } from '../../common/metering/sync-meter';
import { Queryable, sql } from '../../database/sql';
import { healthScoreSqlOf } from './health-score.policy';

export interface SyncEventInsert {
  tenantId: string;
  /** null: now (the database clock). */
  occurredAt: Date | null;
  kind: SyncEventKind;
  deviceId: string | null;
  userId: string | null;
  success: boolean;
  durationMs: number;
  items: number;
  conflicts: number;
  autoResolved: number;
  manual: number;
  bytesRaw: number;
  bytesSent: number;
  bytesSavedDelta: number;
  networkType: string | null;
  appVersion: string | null;
  osVersion: string | null;
  clockOffsetMs: number | null;
  /** Pushed items upcast from an older schema version (0 when not given). */
  upcastItems?: number;
  domainCounts: Record<string, DomainCounts>;
}

const NEW_TOTAL = 'h.total_syncs + 1';
const NEW_FAILED = 'h.failed_syncs_count + EXCLUDED.failed_syncs_count';
const NEW_CONFLICTS = 'h.conflicts_encountered + EXCLUDED.conflicts_encountered';
const NEW_LAST = 'GREATEST(h.last_sync_at, EXCLUDED.last_sync_at)';

/** sync_event rows and, in the same statement, the device's running health figures. */
@Injectable()
export class SyncEventRepository {
  /**
   * Inserts the event and upserts its device's health in one statement: counters and the running average are
   * computed in SQL from the current row, so concurrent requests of one device never lose an update.
   */
  async record(db: Queryable, event: SyncEventInsert): Promise<void> {
    await sql(
      db,
      `WITH event AS (
         INSERT INTO sync_event (tenant_id, occurred_at, kind, device_id, user_id, success, duration_ms, items,
                                 conflicts, auto_resolved, manual, bytes_raw, bytes_sent, bytes_saved_delta,
                                 network_type, domain_counts, upcast_items)
         VALUES ($1, COALESCE($2::timestamptz, now()), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                 $16::jsonb, $20)
         RETURNING tenant_id, occurred_at, device_id, user_id, success, duration_ms, conflicts, network_type)
       INSERT INTO sync_device_health AS h
         (tenant_id, device_id, user_id, last_sync_at, total_syncs, failed_syncs_count, avg_sync_duration_ms,
          conflicts_encountered, health_score, network_type, app_version, os_version, clock_offset_ms)
       SELECT e.tenant_id, e.device_id, COALESCE(e.user_id, ''), e.occurred_at, 1, CASE WHEN e.success THEN 0 ELSE 1 END,
              e.duration_ms, e.conflicts,
              ${healthScoreSqlOf('1', 'CASE WHEN e.success THEN 0 ELSE 1 END', 'e.conflicts', 'e.occurred_at', 'GREATEST(now(), e.occurred_at)')},
              e.network_type, $17, $18, $19
       FROM event e
       WHERE e.device_id IS NOT NULL
       ON CONFLICT ON CONSTRAINT pk_sync_device_health DO UPDATE SET
         last_sync_at = ${NEW_LAST},
         total_syncs = ${NEW_TOTAL},
         failed_syncs_count = ${NEW_FAILED},
         avg_sync_duration_ms = (h.avg_sync_duration_ms * h.total_syncs + EXCLUDED.avg_sync_duration_ms)
                                / (${NEW_TOTAL}),
         conflicts_encountered = ${NEW_CONFLICTS},
         health_score = ${healthScoreSqlOf(NEW_TOTAL, NEW_FAILED, NEW_CONFLICTS, NEW_LAST, `GREATEST(now(), ${NEW_LAST})`)},
         network_type = COALESCE(EXCLUDED.network_type, h.network_type),
         app_version = COALESCE(EXCLUDED.app_version, h.app_version),
         os_version = COALESCE(EXCLUDED.os_version, h.os_version),
         clock_offset_ms = COALESCE(EXCLUDED.clock_offset_ms, h.clock_offset_ms),
         updated_at = now()`,
      [
        event.tenantId,
        event.occurredAt?.toISOString() ?? null,
        event.kind,
        event.deviceId,
        event.userId,
        event.success,
        event.durationMs,
        event.items,
        event.conflicts,
        event.autoResolved,
        event.manual,
        event.bytesRaw,
        event.bytesSent,
        event.bytesSavedDelta,
        event.networkType,
        JSON.stringify(event.domainCounts),
        event.appVersion,
        event.osVersion,
        event.clockOffsetMs === null ? null : Math.round(event.clockOffsetMs),
        event.upcastItems ?? 0,
      ],
    );
  }

  /** Pushed items upcast from an older schema version since `since`. */
  async upcastItemsSince(db: Queryable, tenantId: string, since: Date): Promise<number> {
    const rows = await sql<{ n: number }>(
      db,
      `SELECT COALESCE(sum(upcast_items), 0)::int AS n FROM sync_event
        WHERE tenant_id = $1 AND occurred_at >= $2 AND upcast_items > 0`,
      [tenantId, since.toISOString()],
    );
    return rows[0].n;
  }

  /** Deletes rows older than cutoff from `table` (sync_event or one of its partitions). */
  async pruneOlderThan(db: Queryable, cutoff: Date, table = 'sync_event'): Promise<number> {
    const rows = await sql<{ n: string }>(
      db,
      `WITH gone AS (DELETE FROM ${table} WHERE occurred_at < $1 RETURNING 1) SELECT count(*)::text AS n FROM gone`,
      [cutoff.toISOString()],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
