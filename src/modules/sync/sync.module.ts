import { Module } from '@nestjs/common';
import { BandwidthModule } from '../bandwidth/bandwidth.module';
import { LiveModule } from '../live/live.module';
import { SyncDeviceCursorRepository } from './sync-device-cursor.repository';
import { SyncHistoryRepository } from './sync-history.repository';
import { SyncLiveService } from './sync-live.service';
import { SyncPositionService } from './sync-position.service';
import { SyncPurgeService } from './sync-purge.service';
import { RecordShapeModule } from '../record-shape/record-shape.module';
import { ScopeModule } from '../scope/scope.module';
import { SyncRecordStoreModule } from './sync-record-store.module';
import { SyncRecordsService } from './sync-records.service';
import { SyncSnapshotController } from './sync-snapshot.controller';
import { SyncSnapshotRepository } from './sync-snapshot.repository';
import { SyncSnapshotService } from './sync-snapshot.service';
import { SyncStreamController } from './sync-stream.controller';
import { SyncController } from './sync.controller';
import { SyncService } from './sync.service';

@Module({
  imports: [BandwidthModule, LiveModule, RecordShapeModule, ScopeModule, SyncRecordStoreModule],
  controllers: [SyncController, SyncStreamController, SyncSnapshotController],
  providers: [
    SyncRecordsService,
    SyncService,
    SyncLiveService,
    SyncDeviceCursorRepository,
    SyncHistoryRepository,
    SyncPositionService,
    SyncSnapshotRepository,
    SyncSnapshotService,
    SyncPurgeService,
  ],
  exports: [SyncRecordStoreModule, SyncRecordsService, SyncPurgeService],
})
export class SyncModule {}
