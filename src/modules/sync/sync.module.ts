import { Module } from '@nestjs/common';
import { BandwidthModule } from '../bandwidth/bandwidth.module';
import { LiveModule } from '../live/live.module';
import { SyncRecordRepository } from './sync-record.repository';
import { SyncRecordsService } from './sync-records.service';
import { SyncLiveService } from './sync-live.service';
import { SyncStreamController } from './sync-stream.controller';
import { SyncController } from './sync.controller';
import { SyncService } from './sync.service';

@Module({
  imports: [BandwidthModule, LiveModule],
  controllers: [SyncController, SyncStreamController],
  providers: [SyncRecordRepository, SyncRecordsService, SyncService, SyncLiveService],
  exports: [SyncRecordRepository, SyncRecordsService],
})
export class SyncModule {}
