import { Injectable } from '@nestjs/common';
import { lockRecords } from '../../database/record-locks';
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

/**
 * Read-only lookups of sync_record for explain, the rules application and the consistency check. The sync module owns sync_record: this moves behind
 * its service when scopes are wired into push and pull.
 */
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

  /** Tenants holding records, in id order (the consistency check of every tenant). */
  async tenantsWithRecords(db: Queryable): Promise<string[]> {
    const rows = await sql<{ tenant_id: string }>(
      db,
      `SELECT t.id::text AS tenant_id FROM tenant t
       WHERE EXISTS (SELECT 1 FROM sync_record r WHERE r.tenant_id = t.id) ORDER BY t.id`,
    );
    return rows.map((row) => row.tenant_id);
  }

  /** The record lock every writer of these records takes. */
  async lock(db: Queryable, tenantId: string, records: Array<{ domain: string; mobile_id: string }>): Promise<void> {
    await lockRecords(
      db,
      tenantId,
      records.map((record) => ({ domain: record.domain, mobileId: record.mobile_id })),
    );
  }
}
