import { Injectable } from '@nestjs/common';
import type { Queryable } from '../../database/sql';
import { AttendancePunchRepository, PunchWindow, StoredPunch } from './attendance-punch.repository';
import { RecordLookupRepository, RecordLookupRow, RecordPageRow } from './record-lookup.repository';
import {
  RecordKey,
  RecordRow,
  RecordWrite,
  RevisionRow,
  SyncRecordRepository,
  WrittenRecord,
} from './sync-record.repository';

export type { PunchWindow, StoredPunch } from './attendance-punch.repository';
export type { RecordLookupRow, RecordPageRow } from './record-lookup.repository';
export { recordKey } from './sync-record.repository';
export type { RecordKey, RecordRow, RecordWrite, RevisionRow, WrittenRecord } from './sync-record.repository';

/**
 * sync_record and sync_record_revision as other modules reach them (the push, the scope index, the invariants):
 * the sync folder owns both tables and this is its one door. Each method is one set-based statement, whatever the
 * number of records.
 */
@Injectable()
export class SyncRecordStore {
  constructor(
    private readonly records: SyncRecordRepository,
    private readonly lookups: RecordLookupRepository,
    private readonly punches: AttendancePunchRepository,
  ) {}

  /** Serialises writers of these records until the transaction ends (see lockRecords). */
  lock(db: Queryable, tenantId: string, keys: RecordKey[]): Promise<void> {
    return this.records.lock(db, tenantId, keys);
  }

  find(db: Queryable, tenantId: string, keys: RecordKey[]): Promise<RecordRow[]> {
    return this.records.find(db, tenantId, keys);
  }

  findRevisions(
    db: Queryable,
    tenantId: string,
    wanted: Array<RecordKey & { version: number }>,
  ): Promise<RevisionRow[]> {
    return this.records.findRevisions(db, tenantId, wanted);
  }

  /**
   * New versions, each a revision and the last of each record its current copy with a new change_seq, in one
   * statement after entering the tenant's feed; the last write of the transaction (see SyncRecordRepository.write).
   */
  write(db: Queryable, tenantId: string, writes: RecordWrite[]): Promise<WrittenRecord[]> {
    return this.records.write(db, tenantId, writes);
  }

  /** One record with its last writer, for explain. */
  findOne(db: Queryable, tenantId: string, domain: string, mobileId: string): Promise<RecordLookupRow | undefined> {
    return this.lookups.find(db, tenantId, domain, mobileId);
  }

  /** One keyset page of the tenant's records in (domain, mobile_id) order. */
  page(
    db: Queryable,
    tenantId: string,
    after: { domain: string; mobile_id: string } | null,
    limit: number,
  ): Promise<RecordPageRow[]> {
    return this.lookups.page(db, tenantId, after, limit);
  }

  count(db: Queryable, tenantId: string): Promise<number> {
    return this.lookups.count(db, tenantId);
  }

  tenantsWithRecords(db: Queryable): Promise<string[]> {
    return this.lookups.tenantsWithRecords(db);
  }

  /** Stored live attendance of the people in `windows` on the windows' days, except `exclude`; one statement. */
  attendancePunches(
    db: Queryable,
    tenantId: string,
    windows: PunchWindow[],
    exclude: string[],
  ): Promise<StoredPunch[]> {
    return this.punches.punchesOf(db, tenantId, windows, exclude);
  }
}
