import { Module } from '@nestjs/common';
import { SyncRecordRepository } from './sync-record.repository';
import { SyncRecordsService } from './sync-records.service';

@Module({
  providers: [SyncRecordRepository, SyncRecordsService],
  exports: [SyncRecordRepository, SyncRecordsService],
})
export class SyncModule {}
