import { Injectable } from '@nestjs/common';
import { Queryable, sql } from '../../database/sql';
import { healthScoreSql } from './health-score.policy';

export interface DeviceHealthRow {
  device_id: string;
  user_id: string | null;
  last_sync_at: Date;
  total_syncs: number;
  failed_syncs_count: number;
  avg_sync_duration_ms: number;
  conflicts_encountered: number;
  network_type: string | null;
  app_version: string | null;
  os_version: string | null;
  /** Recomputed for the instant the query was asked about. */
  health_score: number;
}

const SCORE = healthScoreSql('h', '$2::timestamptz');
const COLUMNS = `h.device_id, NULLIF(h.user_id, '') AS user_id, h.last_sync_at, h.total_syncs, h.failed_syncs_count, h.avg_sync_duration_ms,
  h.conflicts_encountered, h.network_type, h.app_version, h.os_version, ${SCORE} AS health_score`;

/** sync_device_health reads; every score is recomputed for `now` because recency decays with time. */
@Injectable()
export class DeviceHealthRepository {
  /** One user's device ('' for a device synced without a user); without userId, the device id's latest synced. */
  async find(
    db: Queryable,
    tenantId: string,
    now: Date,
    deviceId: string,
    userId: string | null,
  ): Promise<DeviceHealthRow | undefined> {
    const rows = await sql<DeviceHealthRow>(
      db,
      `SELECT ${COLUMNS} FROM sync_device_health h
       WHERE h.tenant_id = $1 AND h.device_id = $3 AND ($4::text IS NULL OR h.user_id = $4)
       ORDER BY h.last_sync_at DESC LIMIT 1`,
      [tenantId, now.toISOString(), deviceId, userId],
    );
    return rows[0];
  }

  /** The app versions the tenant's devices last reported (null: never said), most devices first. */
  async appVersions(
    db: Queryable,
    tenantId: string,
    since: Date,
  ): Promise<Array<{ app_version: string | null; devices: number; last_sync_at: Date }>> {
    return sql(
      db,
      `SELECT h.app_version, count(*)::int AS devices, max(h.last_sync_at) AS last_sync_at
         FROM sync_device_health h
        WHERE h.tenant_id = $1 AND h.last_sync_at >= $2
        GROUP BY h.app_version
        ORDER BY devices DESC, h.app_version NULLS LAST
        LIMIT 50`,
      [tenantId, since.toISOString()],
    );
  }

  /** Devices scoring below `threshold`, lowest first. */
  async listBelow(
    db: Queryable,
    tenantId: string,
    now: Date,
    threshold: number,
    limit: number,
  ): Promise<DeviceHealthRow[]> {
    return sql<DeviceHealthRow>(
      db,
      `SELECT * FROM (SELECT ${COLUMNS} FROM sync_device_health h WHERE h.tenant_id = $1) s
       WHERE s.health_score < $3 ORDER BY s.health_score, s.device_id, s.user_id LIMIT $4`,
      [tenantId, now.toISOString(), threshold, limit],
    );
  }

  async countBelow(db: Queryable, tenantId: string, now: Date, threshold: number): Promise<number> {
    const rows = await sql<{ n: number }>(
      db,
      `SELECT count(*)::int AS n FROM sync_device_health h WHERE h.tenant_id = $1 AND ${SCORE} < $3`,
      [tenantId, now.toISOString(), threshold],
    );
    return rows[0]?.n ?? 0;
  }

  /** A keyset page by device id and user, optionally only devices scoring at most maxHealth. */
  async page(
    db: Queryable,
    tenantId: string,
    now: Date,
    maxHealth: number | null,
    after: { deviceId: string; userId: string } | null,
    limit: number,
  ): Promise<DeviceHealthRow[]> {
    return sql<DeviceHealthRow>(
      db,
      `SELECT ${COLUMNS} FROM sync_device_health h
       WHERE h.tenant_id = $1 AND ($3::text IS NULL OR (h.device_id, h.user_id) > ($3, $6::text))
         AND ($4::float8 IS NULL OR ${SCORE} <= $4::float8)
       ORDER BY h.device_id, h.user_id LIMIT $5`,
      [tenantId, now.toISOString(), after?.deviceId ?? null, maxHealth, limit, after?.userId ?? ''],
    );
  }

  /** Stores every device's current score (the daily check); returns how many rows were refreshed. */
  async refreshScores(db: Queryable, tenantId: string, now: Date): Promise<number> {
    const rows = await sql<{ device_id: string }>(
      db,
      `UPDATE sync_device_health h SET health_score = ${SCORE} WHERE h.tenant_id = $1 RETURNING h.device_id`,
      [tenantId, now.toISOString()],
    );
    return rows.length;
  }
}
