import { Injectable } from '@nestjs/common';
import { Queryable, sql } from '../../database/sql';
import type { AlertEvaluation } from './alert.policy';
import type { AlertKind, AlertStatus } from './entities/sync-alert.entity';

export interface AlertRow {
  id: string;
  kind: AlertKind;
  status: AlertStatus;
  message: string;
  value: number;
  threshold: number;
  snapshot_id: string | null;
  opened_at: Date;
  resolved_at: Date | null;
}

const COLUMNS = 'id, kind, status, message, value, threshold, snapshot_id, opened_at, resolved_at';

/** sync_alert: the partial unique index keeps one open alert per tenant and kind, whoever races to open it. */
@Injectable()
export class AlertRepository {
  /** Opens the alert unless one of its kind is open; returns it only when this call opened it. */
  async open(
    db: Queryable,
    tenantId: string,
    alert: AlertEvaluation,
    snapshotId: string | null,
  ): Promise<AlertRow | undefined> {
    const rows = await sql<AlertRow>(
      db,
      `INSERT INTO sync_alert (tenant_id, kind, status, message, value, threshold, snapshot_id)
       VALUES ($1, $2, 'open', $3, $4, $5, $6)
       ON CONFLICT (tenant_id, kind) WHERE status = 'open' DO NOTHING
       RETURNING ${COLUMNS}`,
      [tenantId, alert.kind, alert.message, alert.value, alert.threshold, snapshotId],
    );
    return rows[0];
  }

  async resolve(db: Queryable, tenantId: string, kind: AlertKind): Promise<AlertRow | undefined> {
    const rows = await sql<AlertRow>(
      db,
      `UPDATE sync_alert SET status = 'resolved', resolved_at = now()
       WHERE tenant_id = $1 AND kind = $2 AND status = 'open' RETURNING ${COLUMNS}`,
      [tenantId, kind],
    );
    return rows[0];
  }

  /** Newest first. */
  async list(db: Queryable, tenantId: string, status: AlertStatus | null, limit: number): Promise<AlertRow[]> {
    return sql<AlertRow>(
      db,
      `SELECT ${COLUMNS} FROM sync_alert WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2)
       ORDER BY opened_at DESC, id DESC LIMIT $3`,
      [tenantId, status, limit],
    );
  }
}
