import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { AppConfig } from '../../config/app-config';
import { TenantService } from '../tenant/tenant.service';
import type { OptimalTimeDto, QueueStatusDto } from './dto/queue.dto';
import { QueueItemRepository } from './queue-item.repository';
import { estimateSyncSeconds, isPeakHour, ownerScope, recommendSyncTime } from './queue.policy';

const DEFER_MS = 30 * 60_000;
/**
 * How long a replica reuses a tenant's measured per-item processing time (an average over the last hour, so a
 * few seconds change it little): the scan of the hour's processed items runs at most once per tenant in this time.
 */
export const MS_PER_ITEM_TTL_MS = 10_000;
const MAX_TENANTS = 10_000;

/** Figures of the queue: for the devices (status, optimal time) and for other modules (dashboard, metrics). */
@Injectable()
export class QueueStatsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly items: QueueItemRepository,
    private readonly tenants: TenantService,
  ) {}

  private readonly msPerItem = new Map<string, { value: number | null; at: number }>();

  /** One statement: the caller's counts, with the tenant's per-item time when this replica's copy is older than the TTL. */
  async queueStatus(principal: Principal, now = Date.now()): Promise<QueueStatusDto> {
    const scope = ownerScope(principal);
    const cached = this.msPerItem.get(principal.tenantId);
    const fresh = cached !== undefined && now - cached.at < MS_PER_ITEM_TTL_MS;
    const counts = await this.items.pendingWithMsPerItem(
      this.db,
      principal.tenantId,
      scope.deviceId,
      scope.userId,
      !fresh,
    );
    const msPerItem = fresh ? cached.value : counts.msPerItem;
    if (!fresh) {
      this.msPerItem.delete(principal.tenantId);
      this.msPerItem.set(principal.tenantId, { value: msPerItem, at: now });
      if (this.msPerItem.size > MAX_TENANTS) this.msPerItem.delete(this.msPerItem.keys().next().value!);
    }
    return {
      pending_items: counts.pending,
      high_priority: counts.high,
      estimated_sync_time_sec: estimateSyncSeconds(counts.pending, msPerItem),
      queue_healthy:
        counts.pending < this.config.get('QUEUE_HEALTHY_THRESHOLD') &&
        counts.high < this.config.get('HIGH_PRIORITY_THRESHOLD'),
    };
  }

  async optimalTime(principal: Principal, now = new Date()): Promise<OptimalTimeDto> {
    const [tenant, counts] = await Promise.all([
      this.tenants.findTenant(principal.tenantId),
      this.items.countPending(this.db, principal.tenantId, null, null),
    ]);
    const peak = isPeakHour(tenant.timezone, now, this.config.get('PEAK_HOURS'));
    const decision = recommendSyncTime(counts.pending, peak);
    const next = decision.recommendation === 'sync_now' ? now : new Date(now.getTime() + DEFER_MS);
    return { ...decision, queue_size: counts.pending, is_peak_hour: peak, next_window_at: next.toISOString() };
  }

  async pendingOfTenant(tenantId: string): Promise<{ pending_items: number; high_priority: number }> {
    const counts = await this.items.countPending(this.db, tenantId, null, null);
    return { pending_items: counts.pending, high_priority: counts.high };
  }

  /** Pending items of every tenant by priority rank (0 high, 1 medium, 2 low). */
  pendingByPriority(): Promise<Array<{ priority: number; n: number }>> {
    return this.items.pendingByPriority(this.db);
  }
}
