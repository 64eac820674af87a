import { Module } from '@nestjs/common';
import { AttendancePunchRepository } from './attendance-punch.repository';
import { RecordLookupRepository } from './record-lookup.repository';
import { SyncRecordRepository } from './sync-record.repository';
import { SyncRecordStore } from './sync-record-store.service';

/**
 * The floor under SyncModule: sync_record and sync_record_revision with nothing above them, so the modules SyncModule
 * imports (scope, record shapes) can read records without a cycle. The repository is exported for SyncModule's own
 * services; other modules call SyncRecordStore (lint keeps them out of the repository files).
 */
@Module({
  providers: [SyncRecordRepository, RecordLookupRepository, AttendancePunchRepository, SyncRecordStore],
  exports: [SyncRecordRepository, SyncRecordStore],
})
export class SyncRecordStoreModule {}
