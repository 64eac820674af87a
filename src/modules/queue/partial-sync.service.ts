import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { NetworkQuality, Priority, PRIORITY_RANK } from '../../common/domain';
import type { SyncMeter } from '../../common/metering/sync-meter';
import { AppConfig } from '../../config/app-config';
import { PartialSyncDto, PartialSyncResponseDto, SyncedItemDto } from './dto/queue.dto';
import { BatchProcessorService, meterBatch } from './batch-processor.service';
import { QueueItemRepository } from './queue-item.repository';
import { ownerScope } from './queue.policy';

/** Processes a caller's most urgent pending items now, at most the batch size its network allows. */
@Injectable()
export class PartialSyncService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly items: QueueItemRepository,
    private readonly processor: BatchProcessorService,
  ) {}

  async partialSync(principal: Principal, request: PartialSyncDto, meter: SyncMeter): Promise<PartialSyncResponseDto> {
    const quality = (request.network_quality ?? 'good') as NetworkQuality;
    const batchSize = Math.min(request.max_items ?? 10, this.config.get('BATCH_SIZES')[quality]);
    const priority = (request.priority ?? 'high') as Priority;
    const scope = ownerScope(principal);
    const processed = await this.db.transaction((manager) =>
      this.processor.processClaim(
        manager,
        {
          tenantId: principal.tenantId,
          ...scope,
          maxPriorityRank: PRIORITY_RANK[priority],
          limit: batchSize,
        },
        principal,
      ),
    );
    const remaining = await this.items.countPending(this.db, principal.tenantId, scope.deviceId, scope.userId);
    meterBatch(meter, processed);
    meter.items = processed.items.length;
    return {
      synced_items: processed.items.map((item) => SyncedItemDto.from(item, processed.results.get(item.id))),
      remaining: remaining.pending,
      batch_size: batchSize,
    };
  }
}
