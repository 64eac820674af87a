import { Injectable } from '@nestjs/common';
import { Queryable, sql, sqlOne } from '../../database/sql';
import type { SyncRules } from './sync-rules.policy';

export interface RulesProgress {
  records_done: number;
  records_total: number | null;
  /** The last record applied (resume point of the background application). */
  after?: { domain: string; mobile_id: string } | null;
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

  /** The tenants whose rules in force are not applied to every stored record yet. */
  async pending(db: Queryable): Promise<string[]> {
    const rows = await sql<{ tenant_id: string }>(
      db,
      `SELECT tenant_id::text AS tenant_id FROM (
         SELECT DISTINCT ON (tenant_id) tenant_id, applied FROM sync_rules ORDER BY tenant_id, version DESC) latest
       WHERE NOT applied ORDER BY tenant_id`,
    );
    return rows.map((row) => row.tenant_id);
  }

  /** Records progress of one version (only while it is the version in force). */
  async saveProgress(
    db: Queryable,
    tenantId: string,
    version: number,
    progress: RulesProgress,
    applied: boolean,
  ): Promise<void> {
    await sql(db, `UPDATE sync_rules SET progress = $3::jsonb, applied = $4 WHERE tenant_id = $1 AND version = $2`, [
      tenantId,
      version,
      JSON.stringify(progress),
      applied,
    ]);
  }
}
