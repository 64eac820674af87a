import { Module } from '@nestjs/common';
import { BandwidthModule } from '../bandwidth/bandwidth.module';
import { ScopeModule } from '../scope/scope.module';
import { SyncRecordRepository } from './sync-record.repository';
import { SyncRecordsService } from './sync-records.service';
import { SyncController } from './sync.controller';
import { SyncService } from './sync.service';

@Module({
  imports: [BandwidthModule, ScopeModule],
  controllers: [SyncController],
  providers: [SyncRecordRepository, SyncRecordsService, SyncService],
  exports: [SyncRecordRepository, SyncRecordsService],
})
export class SyncModule {}
