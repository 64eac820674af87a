import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { sql } from '../../database/sql';

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

@Injectable()
export class ApiKeyRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(
    tenantId: string,
    name: string,
    keyHash: string,
    scopes: string[],
    userId: string | null,
  ): Promise<string> {
    const rows = await sql<{ id: string }>(
      this.db,
      `INSERT INTO api_key (tenant_id, name, key_hash, scopes, user_id) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [tenantId, name, keyHash, scopes, userId],
    );
    return rows[0].id;
  }

  async list(tenantId: string): Promise<ApiKeyRow[]> {
    return sql<ApiKeyRow>(
      this.db,
      `SELECT id, name, scopes, user_id, created_at, revoked_at FROM api_key WHERE tenant_id = $1 ORDER BY created_at, id`,
      [tenantId],
    );
  }

  async findActiveByHash(keyHash: string): Promise<CredentialRow | undefined> {
    const rows = await sql<CredentialRow>(
      this.db,
      `SELECT id, tenant_id, scopes, user_id FROM api_key WHERE key_hash = $1 AND revoked_at IS NULL`,
      [keyHash],
    );
    return rows[0];
  }

  async revoke(tenantId: string, id: string): Promise<boolean> {
    const rows = await sql<{ id: string }>(
      this.db,
      `UPDATE api_key SET revoked_at = now() WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING id`,
      [tenantId, id],
    );
    return rows.length > 0;
  }
}
