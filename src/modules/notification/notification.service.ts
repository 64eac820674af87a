import { Injectable } from '@nestjs/common';
import type { Queryable } from '../../database/sql';
import { NotificationInsert, NotificationRepository } from './notification.repository';

@Injectable()
export class NotificationService {
  constructor(private readonly outbox: NotificationRepository) {}

  /** Pass the caller's transaction so the notifications commit, or roll back, with what caused them. */
  enqueue(db: Queryable, tenantId: string, notifications: NotificationInsert[]): Promise<void> {
    return this.outbox.enqueue(db, tenantId, notifications);
  }
}
