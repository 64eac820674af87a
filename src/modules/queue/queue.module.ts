import { Module } from '@nestjs/common';
import { ConflictModule } from '../conflict/conflict.module';
import { SyncModule } from '../sync/sync.module';
import { QueueItemRepository } from './queue-item.repository';
import { QueueStatsService } from './queue-stats.service';
import { QueueController } from './queue.controller';
import { QueueScheduler } from './queue.scheduler';
import { QueueService } from './queue.service';

@Module({
  imports: [ConflictModule, SyncModule],
  controllers: [QueueController],
  providers: [QueueItemRepository, QueueService, QueueStatsService, QueueScheduler],
  exports: [QueueService, QueueStatsService],
})
export class QueueModule {}
