import { Injectable } from '@nestjs/common';
import { Queryable, sql, sqlOne } from '../../database/sql';

export interface TenantRow {
  id: string;
  name: string;
  timezone: string;
  webhook_url: string | null;
  webhook_secret: string | null;
}

const TENANT_COLUMNS = 'id, name, timezone, webhook_url, webhook_secret';

@Injectable()
export class TenantRepository {
  async insert(
    db: Queryable,
    name: string,
    timezone: string,
    webhookUrl: string | null,
    webhookSecret: string | null,
  ): Promise<TenantRow> {
    const rows = await sql<TenantRow>(
      db,
      `INSERT INTO tenant (name, timezone, webhook_url, webhook_secret) VALUES ($1, $2, $3, $4)
       RETURNING ${TENANT_COLUMNS}`,
      [name, timezone, webhookUrl, webhookSecret],
    );
    return rows[0];
  }

  async findById(db: Queryable, id: string): Promise<TenantRow | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    return sqlOne<TenantRow>(db, `SELECT ${TENANT_COLUMNS} FROM tenant WHERE id = $1`, [id]);
  }

  async update(
    db: Queryable,
    id: string,
    changes: Partial<Pick<TenantRow, 'name' | 'timezone' | 'webhook_url' | 'webhook_secret'>>,
  ): Promise<TenantRow | undefined> {
    const rows = await sql<TenantRow>(
      db,
      `UPDATE tenant SET
         name = COALESCE($2, name),
         timezone = COALESCE($3, timezone),
         webhook_url = CASE WHEN $4::boolean THEN $5 ELSE webhook_url END,
         webhook_secret = COALESCE($6, webhook_secret)
       WHERE id = $1
       RETURNING ${TENANT_COLUMNS}`,
      [
        id,
        changes.name ?? null,
        changes.timezone ?? null,
        'webhook_url' in changes,
        changes.webhook_url ?? null,
        changes.webhook_secret ?? null,
      ],
    );
    return rows[0];
  }

  /** The webhooks of these tenants, in one statement. */
  async findWebhooks(
    db: Queryable,
    ids: string[],
  ): Promise<Array<Pick<TenantRow, 'id' | 'webhook_url' | 'webhook_secret'>>> {
    if (ids.length === 0) return [];
    return sql(db, `SELECT id::text AS id, webhook_url, webhook_secret FROM tenant WHERE id = ANY($1::bigint[])`, [
      ids,
    ]);
  }

  async listIds(db: Queryable): Promise<string[]> {
    const rows = await sql<{ id: string }>(db, `SELECT id FROM tenant ORDER BY id`);
    return rows.map((row) => row.id);
  }
}
