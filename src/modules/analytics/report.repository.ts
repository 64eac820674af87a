import { Injectable } from '@nestjs/common';
import { Queryable, sql } from '../../database/sql';
import type { TimeWindow } from './analytics-window.policy';

/** sync_report: one report per tenant, kind and period start. */
@Injectable()
export class ReportRepository {
  /** Stores the report; returns its id, or undefined when this period's report exists already. */
  async insert(
    db: Queryable,
    tenantId: string,
    kind: string,
    period: TimeWindow,
    body: object,
  ): Promise<string | undefined> {
    const rows = await sql<{ id: string }>(
      db,
      `INSERT INTO sync_report (tenant_id, kind, period_start, period_end, body) VALUES ($1, $2, $3, $4, $5::jsonb)
       ON CONFLICT (tenant_id, kind, period_start) DO NOTHING RETURNING id`,
      [tenantId, kind, period.start.toISOString(), period.end.toISOString(), JSON.stringify(body)],
    );
    return rows[0]?.id;
  }
}
