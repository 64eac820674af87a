import { Injectable } from '@nestjs/common';
import { Queryable, sql, sqlOne } from '../../database/sql';
import type { UpcastStep } from './upcast.policy';

export interface SchemaVersionRow {
  domain: string;
  version: number;
  json_schema: Record<string, unknown>;
  upcast: UpcastStep[];
  created_by: string | null;
  created_at: Date;
}

const COLUMNS = 'domain, version, json_schema, upcast, created_by, created_at';

@Injectable()
export class RecordSchemaVersionRepository {
  /** Every version of every domain of the tenant, oldest first: what the batch checks need, in one statement. */
  async listForTenant(db: Queryable, tenantId: string): Promise<SchemaVersionRow[]> {
    return sql<SchemaVersionRow>(
      db,
      `SELECT ${COLUMNS} FROM record_schema_version WHERE tenant_id = $1 ORDER BY domain, version`,
      [tenantId],
    );
  }

  /**
   * What a batch needs of a tenant, in one statement: every schema version (oldest first) and the names of the
   * invariants the tenant switched off. invariant_setting is read here only so the push path pays one statement.
   */
  async shapesOf(db: Queryable, tenantId: string): Promise<{ rows: SchemaVersionRow[]; disabled: string[] }> {
    const [row] = await sql<{ rows: SchemaVersionRow[]; disabled: string[] }>(
      db,
      `SELECT COALESCE((SELECT jsonb_agg(jsonb_build_object('domain', domain, 'version', version,
                                                            'json_schema', json_schema, 'upcast', upcast,
                                                            'created_by', created_by, 'created_at', created_at)
                                         ORDER BY domain, version)
                          FROM record_schema_version WHERE tenant_id = $1), '[]'::jsonb) AS rows,
              ARRAY(SELECT name FROM invariant_setting WHERE tenant_id = $1 AND NOT enabled ORDER BY name) AS disabled`,
      [tenantId],
    );
    return { rows: row.rows.map((r) => ({ ...r, created_at: new Date(r.created_at) })), disabled: row.disabled };
  }

  /** Inserts the next version; undefined when that version already exists (a concurrent PUT won). */
  async insert(
    db: Queryable,
    tenantId: string,
    row: Pick<SchemaVersionRow, 'domain' | 'version' | 'json_schema' | 'upcast' | 'created_by'>,
  ): Promise<SchemaVersionRow | undefined> {
    return sqlOne<SchemaVersionRow>(
      db,
      `INSERT INTO record_schema_version (tenant_id, domain, version, json_schema, upcast, created_by)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6)
       ON CONFLICT ON CONSTRAINT pk_record_schema_version DO NOTHING
       RETURNING ${COLUMNS}`,
      [tenantId, row.domain, row.version, JSON.stringify(row.json_schema), JSON.stringify(row.upcast), row.created_by],
    );
  }
}
