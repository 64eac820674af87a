import { Injectable } from '@nestjs/common';
import { Queryable, sql } from '../../database/sql';

/** Read-only figures of sync_queue_item (owned by the queue module) for the dashboard and the metrics. */
@Injectable()
export class QueueStatsRepository {
  async pending(db: Queryable, tenantId: string): Promise<{ pending_items: number; high_priority: number }> {
    const rows = await sql<{ pending_items: number; high_priority: number }>(
      db,
      `SELECT count(*)::int AS pending_items, (count(*) FILTER (WHERE priority = 0))::int AS high_priority
       FROM sync_queue_item WHERE tenant_id = $1 AND status = 'pending'`,
      [tenantId],
    );
    return rows[0] ?? { pending_items: 0, high_priority: 0 };
  }

  /** Pending items of every tenant by priority rank (0 high, 1 medium, 2 low). */
  async pendingByPriority(db: Queryable): Promise<Array<{ priority: number; n: number }>> {
    return sql<{ priority: number; n: number }>(
      db,
      `SELECT priority::int AS priority, count(*)::int AS n FROM sync_queue_item WHERE status = 'pending'
       GROUP BY priority`,
    );
  }
}
