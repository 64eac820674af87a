import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { sql } from '../../database/sql';

export interface TenantRow {
  id: string;
  name: string;
  timezone: string;
  webhook_url: string | null;
  webhook_secret: string | null;
}

@Injectable()
export class TenantRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(
    name: string,
    timezone: string,
    webhookUrl: string | null,
    webhookSecret: string | null,
  ): Promise<TenantRow> {
    const rows = await sql<TenantRow>(
      this.db,
      `INSERT INTO tenant (name, timezone, webhook_url, webhook_secret) VALUES ($1, $2, $3, $4)
       RETURNING id, name, timezone, webhook_url, webhook_secret`,
      [name, timezone, webhookUrl, webhookSecret],
    );
    return rows[0];
  }

  async findById(id: string): Promise<TenantRow | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const rows = await sql<TenantRow>(
      this.db,
      `SELECT id, name, timezone, webhook_url, webhook_secret FROM tenant WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  async update(
    id: string,
    changes: Partial<Pick<TenantRow, 'name' | 'timezone' | 'webhook_url' | 'webhook_secret'>>,
  ): Promise<TenantRow | undefined> {
    const rows = await sql<TenantRow>(
      this.db,
      `UPDATE tenant SET
         name = COALESCE($2, name),
         timezone = COALESCE($3, timezone),
         webhook_url = CASE WHEN $4::boolean THEN $5 ELSE webhook_url END,
         webhook_secret = COALESCE($6, webhook_secret)
       WHERE id = $1
       RETURNING id, name, timezone, webhook_url, webhook_secret`,
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

  async listIds(): Promise<string[]> {
    const rows = await sql<{ id: string }>(this.db, `SELECT id FROM tenant ORDER BY id`);
    return rows.map((row) => row.id);
  }
}
