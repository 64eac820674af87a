import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { errorMessage } from '../../common/errors/error-message';
import { NotificationDeliveryService } from './notification-delivery.service';

export const OUTBOX_DELIVERY_INTERVAL_MS = 10_000;

/**
 * No advisory lock: SKIP LOCKED claims and leases already give each notification to one replica. Active only when
 * SCHEDULER_ENABLED (ScheduleModule is imported).
 */
@Injectable()
export class NotificationScheduler {
  private readonly logger = new Logger(NotificationScheduler.name);

  constructor(private readonly delivery: NotificationDeliveryService) {}

  @Interval('notification-outbox-delivery', OUTBOX_DELIVERY_INTERVAL_MS)
  async outboxDelivery(): Promise<void> {
    try {
      await this.delivery.deliverDue();
    } catch (error) {
      this.logger.error(`outbox delivery failed: ${errorMessage(error)}`);
    }
  }
}
