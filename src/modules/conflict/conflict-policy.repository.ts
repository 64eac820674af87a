import { Injectable } from '@nestjs/common';
import { Queryable, sql, sqlOne } from '../../database/sql';
import type { EffectivePolicy, PolicySettings } from './conflict.policy';

export type ConflictPolicyRow = Omit<EffectivePolicy, 'source'>;

const COLUMNS = 'domain, resolution_policy, auto_resolve, notify_on_conflict, protected_fields';

@Injectable()
export class ConflictPolicyRepository {
  /** The tenant's overrides, one row per domain it changed. */
  async list(db: Queryable, tenantId: string): Promise<ConflictPolicyRow[]> {
    return sql<ConflictPolicyRow>(db, `SELECT ${COLUMNS} FROM conflict_policy WHERE tenant_id = $1 ORDER BY domain`, [
      tenantId,
    ]);
  }

  async upsert(
    db: Queryable,
    tenantId: string,
    domain: string,
    settings: PolicySettings,
    createdBy: string | null,
  ): Promise<ConflictPolicyRow> {
    const row = await sqlOne<ConflictPolicyRow>(
      db,
      `INSERT INTO conflict_policy
         (tenant_id, domain, resolution_policy, auto_resolve, notify_on_conflict, protected_fields, created_by)
       VALUES ($1, $2, $3, $4, $5, $6::text[], $7)
       ON CONFLICT ON CONSTRAINT pk_conflict_policy DO UPDATE SET
         resolution_policy = EXCLUDED.resolution_policy, auto_resolve = EXCLUDED.auto_resolve,
         notify_on_conflict = EXCLUDED.notify_on_conflict, protected_fields = EXCLUDED.protected_fields,
         updated_at = now()
       RETURNING ${COLUMNS}`,
      [
        tenantId,
        domain,
        settings.resolution_policy,
        settings.auto_resolve,
        settings.notify_on_conflict,
        settings.protected_fields,
        createdBy,
      ],
    );
    return row!;
  }

  async delete(db: Queryable, tenantId: string, domain: string): Promise<boolean> {
    const rows = await sql<{ domain: string }>(
      db,
      `DELETE FROM conflict_policy WHERE tenant_id = $1 AND domain = $2 RETURNING domain`,
      [tenantId, domain],
    );
    return rows.length > 0;
  }
}
