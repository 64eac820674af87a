import { Module } from '@nestjs/common';
import { ConflictModule } from '../conflict/conflict.module';
import { RecordShapeModule } from '../record-shape/record-shape.module';
import { ScopeModule } from '../scope/scope.module';
import { SyncModule } from '../sync/sync.module';
import { BatchProcessorService } from './batch-processor.service';
import { PartialSyncService } from './partial-sync.service';
import { PushIntakeService } from './push-intake.service';
import { QueueDrainService } from './queue-drain.service';
import { QueueItemRepository } from './queue-item.repository';
import { QueueRetentionService } from './queue-retention.service';
import { QueueStatsService } from './queue-stats.service';
import { QueueController } from './queue.controller';
import { QueueScheduler } from './queue.scheduler';

@Module({
  imports: [ConflictModule, ScopeModule, SyncModule, RecordShapeModule],
  controllers: [QueueController],
  providers: [
    QueueItemRepository,
    BatchProcessorService,
    PushIntakeService,
    PartialSyncService,
    QueueStatsService,
    QueueDrainService,
    QueueRetentionService,
    QueueScheduler,
  ],
  exports: [QueueStatsService, QueueRetentionService],
})
export class QueueModule {}
