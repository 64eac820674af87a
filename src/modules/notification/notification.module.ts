import { Global, Module } from '@nestjs/common';
import { NotificationDeliveryRepository } from './notification-delivery.repository';
import { NotificationDeliveryService } from './notification-delivery.service';
import { NotificationRepository } from './notification.repository';
import { NotificationScheduler } from './notification.scheduler';
import { NotificationService } from './notification.service';

/** notification_outbox end to end: other modules enqueue inside their transactions; this module delivers. */
@Global()
@Module({
  providers: [
    NotificationRepository,
    NotificationService,
    NotificationDeliveryRepository,
    NotificationDeliveryService,
    NotificationScheduler,
  ],
  exports: [NotificationRepository, NotificationService],
})
export class NotificationModule {}
