import { Injectable } from '@nestjs/common';
import type { Queryable } from '../../database/sql';
import { NotificationService } from '../notification/notification.service';
import { ConflictLogInsert, ConflictLogRepository } from './conflict-log.repository';

export type { ConflictLogInsert } from './conflict-log.repository';

/** Writes the conflict log: the push path's conflicts and the resolve API's, with their notifications. */
@Injectable()
export class ConflictLogService {
  constructor(
    private readonly logs: ConflictLogRepository,
    private readonly notifications: NotificationService,
  ) {}

  /** Logs conflicts in one INSERT and queues their notifications in one more; pass the caller's transaction. */
  async recordConflicts(db: Queryable, tenantId: string, conflicts: ConflictLogInsert[]): Promise<void> {
    if (conflicts.length === 0) return;
    await this.logs.insertMany(db, tenantId, conflicts);
    await this.notifications.enqueue(
      db,
      tenantId,
      conflicts
        .filter((c) => c.notify)
        .map((c) => ({
          kind: 'conflict',
          payload: {
            conflict_id: c.id,
            domain: c.domain,
            mobile_id: c.mobileId,
            resolution_result: c.result,
            resolution_strategy: c.strategy,
            winning_version: c.winningVersion,
            device_id: c.deviceId,
            user_id: c.userId,
            source: c.source,
          },
        })),
    );
  }
}
