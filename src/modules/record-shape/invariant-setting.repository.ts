import { Injectable } from '@nestjs/common';
import { Queryable, sql, sqlOne } from '../../database/sql';

export interface InvariantSettingRow {
  name: string;
  enabled: boolean;
  updated_by: string | null;
  updated_at: Date;
}

const COLUMNS = 'name, enabled, updated_by, updated_at';

@Injectable()
export class InvariantSettingRepository {
  async list(db: Queryable, tenantId: string): Promise<InvariantSettingRow[]> {
    return sql<InvariantSettingRow>(db, `SELECT ${COLUMNS} FROM invariant_setting WHERE tenant_id = $1 ORDER BY name`, [
      tenantId,
    ]);
  }

  async upsert(
    db: Queryable,
    tenantId: string,
    name: string,
    enabled: boolean,
    updatedBy: string | null,
  ): Promise<InvariantSettingRow> {
    const row = await sqlOne<InvariantSettingRow>(
      db,
      `INSERT INTO invariant_setting (tenant_id, name, enabled, updated_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT ON CONSTRAINT pk_invariant_setting DO UPDATE SET
         enabled = EXCLUDED.enabled, updated_by = EXCLUDED.updated_by, updated_at = now()
       RETURNING ${COLUMNS}`,
      [tenantId, name, enabled, updatedBy],
    );
    return row!;
  }
}
