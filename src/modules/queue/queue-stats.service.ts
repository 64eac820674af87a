import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { QueueItemRepository } from './queue-item.repository';

/** Queue figures other modules show (dashboard, metrics); the queue module keeps the SQL. */
@Injectable()
export class QueueStatsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly items: QueueItemRepository,
  ) {}

  async pendingOfTenant(tenantId: string): Promise<{ pending_items: number; high_priority: number }> {
    const counts = await this.items.countPending(this.db, tenantId, null, null);
    return { pending_items: counts.pending, high_priority: counts.high };
  }

  /** Pending items of every tenant by priority rank (0 high, 1 medium, 2 low). */
  pendingByPriority(): Promise<Array<{ priority: number; n: number }>> {
    return this.items.pendingByPriority(this.db);
  }
}
