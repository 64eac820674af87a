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
