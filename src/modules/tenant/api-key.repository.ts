import { Injectable } from '@nestjs/common';
import { Queryable, sql, sqlOne } from '../../database/sql';

export interface CredentialRow {
  id: string;
  tenant_id: string;
  scopes: string[];
  user_id: string | null;
}

export interface ApiKeyRow {
  id: string;
  name: string;
  scopes: string[];
  user_id: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

const API_KEY_COLUMNS = 'id, name, scopes, user_id, created_at, revoked_at';

@Injectable()
export class ApiKeyRepository {
  async insert(
    db: Queryable,
    tenantId: string,
    name: string,
    keyHash: string,
    scopes: string[],
    userId: string | null,
  ): Promise<ApiKeyRow> {
    const rows = await sql<ApiKeyRow>(
      db,
      `INSERT INTO api_key (tenant_id, name, key_hash, scopes, user_id) VALUES ($1, $2, $3, $4, $5)
       RETURNING ${API_KEY_COLUMNS}`,
      [tenantId, name, keyHash, scopes, userId],
    );
    return rows[0];
  }

  async list(db: Queryable, tenantId: string): Promise<ApiKeyRow[]> {
    return sql<ApiKeyRow>(db, `SELECT ${API_KEY_COLUMNS} FROM api_key WHERE tenant_id = $1 ORDER BY created_at, id`, [
      tenantId,
    ]);
  }

  async findActiveByHash(db: Queryable, keyHash: string): Promise<CredentialRow | undefined> {
    return sqlOne<CredentialRow>(
      db,
      `SELECT id, tenant_id, scopes, user_id FROM api_key WHERE key_hash = $1 AND revoked_at IS NULL`,
      [keyHash],
    );
  }

  async revoke(db: Queryable, tenantId: string, id: string): Promise<boolean> {
    const rows = await sql<{ id: string }>(
      db,
      `UPDATE api_key SET revoked_at = now() WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING id`,
      [tenantId, id],
    );
    return rows.length > 0;
  }
}
