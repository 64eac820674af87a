import { Injectable } from '@nestjs/common';
import { Queryable, sql, sqlOne } from '../../database/sql';

/** Behind counts stop here, so a list of long-gone devices stays cheap. */
export const BEHIND_COUNT_CAP = 100000;

export interface DevicePositionRow {
  user_id: string;
  device_id: string;
  cursor: string;
  seen_at: Date;
  behind: string;
}

export interface TenantHorizonRow {
  tenant_id: string;
  horizon: string;
}

export interface LowestPositionRow {
  tenant_id: string;
  low: string;
}

/** sync_device_cursor and sync_purge_horizon: where devices stand in the feed and how far history reaches. */
@Injectable()
export class SyncDeviceCursorRepository {
  /**
   * In one statement: reads the tenant's purge horizon and records the device's acknowledged position, unless
   * the cursor lies below the horizon (that device must resync; its stale position must not hold back the purge).
   * Run it after reading the page: the horizon is raised before any purge deletes, so a page that missed a purged
   * tombstone always sees the raised horizon here.
   */
  async acknowledge(
    db: Queryable,
    tenantId: string,
    userId: string | null,
    deviceId: string | null,
    cursor: string,
    fromStart: boolean,
  ): Promise<string> {
    const row = await sqlOne<{ horizon: string }>(
      db,
      `WITH h AS (SELECT coalesce((SELECT horizon FROM sync_purge_horizon WHERE tenant_id = $1), 0) AS horizon),
       ack AS (
         INSERT INTO sync_device_cursor (tenant_id, user_id, device_id, cursor, seen_at)
         SELECT $1, coalesce($2, ''), $3, $4, now() FROM h
         WHERE $3::text IS NOT NULL AND ($5::bool OR $4::bigint >= h.horizon)
         ON CONFLICT ON CONSTRAINT pk_sync_device_cursor DO UPDATE SET cursor = EXCLUDED.cursor, seen_at = EXCLUDED.seen_at
         RETURNING 1)
       SELECT horizon::text AS horizon FROM h`,
      [tenantId, userId, deviceId, cursor, fromStart],
    );
    return row?.horizon ?? '0';
  }

  /** Devices by (user, device) keyset, each with how many changes of the tenant's feed lie after its position. */
  async listPositions(
    db: Queryable,
    tenantId: string,
    after: { userId: string; deviceId: string } | null,
    limit: number,
  ): Promise<DevicePositionRow[]> {
    return sql<DevicePositionRow>(
      db,
      `SELECT c.user_id, c.device_id, c.cursor::text AS cursor, c.seen_at,
              (SELECT count(*) FROM (SELECT 1 FROM sync_record r WHERE r.tenant_id = c.tenant_id
                 AND r.change_seq > c.cursor LIMIT $5) AS b)::text AS behind
       FROM sync_device_cursor c
       WHERE c.tenant_id = $1 AND ($2::text IS NULL OR (c.user_id, c.device_id) > ($2::text, $3::text))
       ORDER BY c.user_id, c.device_id
       LIMIT $4`,
      [tenantId, after?.userId ?? null, after?.deviceId ?? null, limit, BEHIND_COUNT_CAP],
    );
  }

  /** Per tenant, the lowest position of the devices seen since activeSince. */
  async lowestActivePositions(db: Queryable, activeSince: Date): Promise<LowestPositionRow[]> {
    return sql<LowestPositionRow>(
      db,
      `SELECT tenant_id::text, min(cursor)::text AS low FROM sync_device_cursor WHERE seen_at >= $1 GROUP BY tenant_id`,
      [activeSince.toISOString()],
    );
  }

  async horizon(db: Queryable, tenantId: string): Promise<string> {
    const row = await sqlOne<{ horizon: string }>(
      db,
      `SELECT horizon::text FROM sync_purge_horizon WHERE tenant_id = $1`,
      [tenantId],
    );
    return row?.horizon ?? '0';
  }

  /**
   * Moves the horizon of several tenants up to one position (never down) and returns each one's horizon after;
   * commit it before dropping history.
   */
  async raiseHorizons(db: Queryable, tenantIds: string[], horizon: string): Promise<TenantHorizonRow[]> {
    if (tenantIds.length === 0) return [];
    return sql<TenantHorizonRow>(
      db,
      `INSERT INTO sync_purge_horizon (tenant_id, horizon, purged_at)
       SELECT t, $2, now() FROM unnest($1::bigint[]) AS t
       ON CONFLICT ON CONSTRAINT pk_sync_purge_horizon DO UPDATE
         SET horizon = GREATEST(sync_purge_horizon.horizon, EXCLUDED.horizon), purged_at = now()
       RETURNING tenant_id::text, horizon::text`,
      [tenantIds, horizon],
    );
  }

  /** Moves the horizon up (never down); commit this before deleting anything below it. */
  async raiseHorizon(db: Queryable, tenantId: string, horizon: string): Promise<void> {
    await sql(
      db,
      `INSERT INTO sync_purge_horizon (tenant_id, horizon, purged_at) VALUES ($1, $2, now())
       ON CONFLICT ON CONSTRAINT pk_sync_purge_horizon DO UPDATE
         SET horizon = GREATEST(sync_purge_horizon.horizon, EXCLUDED.horizon), purged_at = now()`,
      [tenantId, horizon],
    );
  }
}
