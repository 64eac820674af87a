import { Injectable } from '@nestjs/common';
import { Queryable, sql } from '../../database/sql';

export interface NotificationInsert {
  kind: string;
  payload: Record<string, unknown>;
}

@Injectable()
export class NotificationRepository {
  /** Queues notifications in one statement; call with the transaction's manager so they commit with their cause. */
  async enqueue(db: Queryable, tenantId: string, notifications: NotificationInsert[]): Promise<void> {
    if (notifications.length === 0) return;
    await sql(
      db,
      `INSERT INTO notification_outbox (tenant_id, kind, payload)
       SELECT $1, n.kind, n.payload FROM unnest($2::text[], $3::jsonb[]) AS n(kind, payload)`,
      [tenantId, notifications.map((n) => n.kind), notifications.map((n) => JSON.stringify(n.payload))],
    );
  }
}
