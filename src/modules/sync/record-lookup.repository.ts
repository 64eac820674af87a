import { Injectable } from '@nestjs/common';
import { Queryable, sql, sqlOne } from '../../database/sql';

export interface RecordPageRow {
  domain: string;
  mobile_id: string;
  version: number;
  data: Record<string, unknown>;
  deleted: boolean;
  updated_by_user: string | null;
}

export interface RecordLookupRow {
  version: number;
  data: Record<string, unknown>;
  deleted: boolean;
  updated_by_user: string | null;
}

/** Reads of sync_record for other modules' background work: scope explain, rules application, consistency check. */
@Injectable()
export class RecordLookupRepository {
  async find(db: Queryable, tenantId: string, domain: string, mobileId: string): Promise<RecordLookupRow | undefined> {
    return sqlOne<RecordLookupRow>(
      db,
      `SELECT version, data, deleted, updated_by_user FROM sync_record
       WHERE tenant_id = $1 AND domain = $2 AND mobile_id = $3`,
      [tenantId, domain, mobileId],
    );
  }

  /** One keyset page of the tenant's records in (domain, mobile_id) order: a range scan of the primary key. */
  async page(
    db: Queryable,
    tenantId: string,
    after: { domain: string; mobile_id: string } | null,
    limit: number,
  ): Promise<RecordPageRow[]> {
    return sql<RecordPageRow>(
      db,
      `SELECT domain, mobile_id, version, data, deleted, updated_by_user FROM sync_record
       WHERE tenant_id = $1 AND ($2::text IS NULL OR (domain, mobile_id) > ($2::text, $3::uuid))
       ORDER BY domain, mobile_id LIMIT $4`,
      [tenantId, after?.domain ?? null, after?.mobile_id ?? null, limit],
    );
  }

  async count(db: Queryable, tenantId: string): Promise<number> {
    const row = await sqlOne<{ n: string }>(db, `SELECT count(*)::text AS n FROM sync_record WHERE tenant_id = $1`, [
      tenantId,
    ]);
    return Number(row?.n ?? 0);
  }

  /**
   * Tenants holding records, in id order (the consistency check of every tenant): a skip scan of the primary key,
   * one index probe per tenant.
   */
  async tenantsWithRecords(db: Queryable): Promise<string[]> {
    const rows = await sql<{ tenant_id: string }>(
      db,
      `WITH RECURSIVE t(id) AS (
         SELECT min(tenant_id) FROM sync_record
         UNION ALL
         SELECT (SELECT min(r.tenant_id) FROM sync_record r WHERE r.tenant_id > t.id) FROM t WHERE t.id IS NOT NULL)
       SELECT id::text AS tenant_id FROM t WHERE id IS NOT NULL ORDER BY id`,
    );
    return rows.map((row) => row.tenant_id);
  }
}
