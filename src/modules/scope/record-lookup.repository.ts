import { Injectable } from '@nestjs/common';
import { Queryable, sqlOne } from '../../database/sql';

export interface RecordLookupRow {
  version: number;
  data: Record<string, unknown>;
  deleted: boolean;
  updated_by_user: string | null;
}

/**
 * Read-only lookup of one sync_record for the explain endpoint. The sync module owns sync_record: this moves behind
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
}
