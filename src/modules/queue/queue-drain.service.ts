import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PRIORITY_RANK } from '../../common/domain';
import { BatchProcessorService } from './batch-processor.service';
import { QueueItemRepository } from './queue-item.repository';

const DRAIN_BATCH = 50;
const DEVICES_PER_ROUND = 10;

/** Applies what devices left pending (a device that went offline still gets its edits applied). */
@Injectable()
export class QueueDrainService {
  private readonly logger = new Logger(QueueDrainService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly items: QueueItemRepository,
    private readonly processor: BatchProcessorService,
  ) {}

  /**
   * Every tenant's pending items in small batches, one transaction each. Replicas may drain side by side: claims
   * skip locked items, so no item is processed twice. Returns the number of items processed.
   */
  async drain(maxBatches = 20): Promise<number> {
    let done = 0;
    for (let round = 0; round < maxBatches; round++) {
      const devices = await this.items.pendingDevices(this.db, DEVICES_PER_ROUND);
      if (devices.length === 0) break;
      let progressed = 0;
      for (const device of devices) {
        const batch = await this.db.transaction((manager) =>
          this.processor.processClaim(manager, {
            tenantId: device.tenant_id,
            deviceId: device.device_id,
            userId: device.user_id,
            maxPriorityRank: PRIORITY_RANK.low,
            limit: DRAIN_BATCH,
          }),
        );
        progressed += batch.items.length;
      }
      done += progressed;
      if (progressed === 0) break;
    }
    if (done > 0) this.logger.log(`drained ${done} queued items`);
    return done;
  }
}
