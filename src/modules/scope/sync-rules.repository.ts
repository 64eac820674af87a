import { Injectable } from '@nestjs/common';
import { Queryable, sql, sqlOne } from '../../database/sql';
import type { SyncRules } from './sync-rules.policy';

export interface RulesProgress {
  records_done: number;
  records_total: number | null;
}

export interface SyncRulesRow {
  version: number;
  rules: SyncRules;
  applied: boolean;
  progress: RulesProgress;
  created_at: Date;
}

const COLUMNS = 'version, rules, applied, progress, created_at';

/** sync_rules: every version a tenant set, the highest in force. */
@Injectable()
export class SyncRulesRepository {
  async latest(db: Queryable, tenantId: string): Promise<SyncRulesRow | undefined> {
    return sqlOne<SyncRulesRow>(
      db,
      `SELECT ${COLUMNS} FROM sync_rules WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1`,
      [tenantId],
    );
  }

  /** Stores the next version, not applied yet. Run inside a transaction: it holds the tenant's rules lock. */
  async insertNext(db: Queryable, tenantId: string, rules: SyncRules, createdBy: string | null): Promise<SyncRulesRow> {
    await sql(db, `SELECT pg_advisory_xact_lock(hashtextextended('sync_rules:' || $1, 0))`, [tenantId]);
    const row = await sqlOne<SyncRulesRow>(
      db,
      `INSERT INTO sync_rules (tenant_id, version, rules, applied, progress, created_by)
       SELECT $1, COALESCE(max(version), 0) + 1, $2::jsonb, false, $3::jsonb, $4
       FROM sync_rules WHERE tenant_id = $1
       RETURNING ${COLUMNS}`,
      [tenantId, JSON.stringify(rules), JSON.stringify({ records_done: 0, records_total: null }), createdBy],
    );
    return row!;
  }
}
