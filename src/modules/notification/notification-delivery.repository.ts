import { Injectable } from '@nestjs/common';
import { Queryable, sql } from '../../database/sql';

export interface ClaimedNotification {
  tenant_id: string;
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
  created_at: Date;
}

/** Delivery side of notification_outbox: lease-based claims, so no transaction stays open during an HTTP call. */
@Injectable()
export class NotificationDeliveryRepository {
  /**
   * Claims up to `limit` due notifications by pushing their next_attempt_at past the lease, in one short statement;
   * a replica that crashes mid-delivery lets the lease expire and another one retries. Due at `now` to the
   * millisecond: `now` is a JS Date (milliseconds), next_attempt_at PostgreSQL's now() (microseconds), so a
   * notification queued in the same millisecond as the claim is due, not left for the next tick.
   */
  async claimDue(db: Queryable, now: Date, leaseMs: number, limit: number): Promise<ClaimedNotification[]> {
    return sql<ClaimedNotification>(
      db,
      `WITH due AS (
         SELECT tenant_id, id FROM notification_outbox
         WHERE status = 'pending' AND next_attempt_at < $1::timestamptz + interval '1 millisecond'
         ORDER BY next_attempt_at, id LIMIT $3
         FOR UPDATE SKIP LOCKED)
       UPDATE notification_outbox o SET next_attempt_at = $1::timestamptz + make_interval(secs => $2 / 1000.0)
       FROM due
       WHERE o.tenant_id = due.tenant_id AND o.id = due.id
       RETURNING o.tenant_id, o.id, o.kind, o.payload, o.attempts, o.created_at`,
      [now.toISOString(), leaseMs, limit],
    );
  }

  async markDelivered(db: Queryable, tenantId: string, id: string): Promise<void> {
    await sql(
      db,
      `UPDATE notification_outbox SET status = 'delivered', delivered_at = now(), attempts = attempts + 1,
         last_error = NULL
       WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
  }

  /** The tenant has no webhook: nothing to send to, so the row leaves the queue as skipped. */
  async markSkipped(db: Queryable, tenantId: string, id: string, reason: string): Promise<void> {
    await sql(
      db,
      `UPDATE notification_outbox SET status = 'skipped', last_error = $3 WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id, reason],
    );
  }

  /** Counts a failed attempt: retried at nextAttemptAt, or failed for good when giveUp. */
  async markAttemptFailed(
    db: Queryable,
    tenantId: string,
    id: string,
    error: string,
    nextAttemptAt: Date,
    giveUp: boolean,
  ): Promise<void> {
    await sql(
      db,
      `UPDATE notification_outbox SET attempts = attempts + 1, last_error = $3, next_attempt_at = $4,
         status = CASE WHEN $5::boolean THEN 'failed' ELSE status END
       WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id, error.slice(0, 1000), nextAttemptAt.toISOString(), giveUp],
    );
  }
}
