import { Global, Module } from '@nestjs/common';
import { NotificationRepository } from './notification.repository';

/** The notification outbox: modules enqueue inside their transactions; analytics delivers. */
@Global()
@Module({ providers: [NotificationRepository], exports: [NotificationRepository] })
export class NotificationModule {}
