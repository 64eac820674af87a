import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PRIORITY_RANK } from '../../common/domain';
import { BatchProcessorService } from './batch-processor.service';
import { DRAIN_BATCH, DRAIN_DEVICES_PER_ROUND } from './queue-drain.policy';
import { QueueItemRepository } from './queue-item.repository';

/** Applies what devices left pending (a device that went offline still gets its edits applied). */
@Injectable()
export class QueueDrainService {
  private readonly logger = new Logger(QueueDrainService.name);
  private stopping = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly items: QueueItemRepository,
    private readonly processor: BatchProcessorService,
  ) {}

  /**
   * Every tenant's pending items, batch after batch with no wait in between, until nothing this replica can claim
   * is left, `maxRounds` rounds ran or stop() was called. A round takes the DRAIN_DEVICES_PER_ROUND devices waiting
   * longest and applies one batch of each, its own transaction. Replicas may drain side by side: claims skip
   * locked items, so no item is processed twice. Returns the number of items processed.
   */
  async drain(maxRounds = Number.POSITIVE_INFINITY): Promise<number> {
    let done = 0;
    for (let round = 0; round < maxRounds && !this.stopping; round++) {
      const devices = await this.items.pendingDevices(this.db, DRAIN_DEVICES_PER_ROUND);
      if (devices.length === 0) break;
      let progressed = 0;
      for (const device of devices) {
        if (this.stopping) break;
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
      // Nothing claimable: what is pending is held by other processors (or waits behind an edit they hold).
      if (progressed === 0) break;
    }
    if (done > 0) this.logger.log(`drained ${done} queued items`);
    return done;
  }

  /** A drain under way ends after its current batch (shutdown). */
  stop(): void {
    this.stopping = true;
  }
}
