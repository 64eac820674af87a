import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { withAdvisoryXactLock } from '../../database/advisory-lock';
import { AppException } from '../../common/errors/app-exception';
import { AppConfig } from '../../config/app-config';
import type { Queryable } from '../../database/sql';
import { TenantService } from '../tenant/tenant.service';
import type { AlertRow } from './alert.repository';
import { AlertService } from './alert.service';
import { alignedWindow, TimeWindow, trailingWindow } from './analytics-window.policy';
import { CreatedSnapshotDto } from './dto/analytics.dto';
import { SnapshotRepository, SnapshotRow } from './snapshot.repository';

export interface TenantSnapshotResult {
  tenantId: string;
  snapshot: SnapshotRow | undefined;
  /** false: the window's snapshot existed already (another replica or run made it). */
  created: boolean;
  openedAlerts: AlertRow[];
}

@Injectable()
export class SnapshotService {
  private readonly logger = new Logger(SnapshotService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly snapshots: SnapshotRepository,
    private readonly alerts: AlertService,
    private readonly tenants: TenantService,
  ) {}

  async createSnapshot(tenantId: string, hours: number, now = new Date()): Promise<CreatedSnapshotDto> {
    const result = await this.db.transaction((manager) =>
      this.snapshotTenant(manager, tenantId, trailingWindow(now, hours), now),
    );
    return CreatedSnapshotDto.from(result.snapshot!);
  }

  /** One transaction per tenant; `onTenant` hears of each as it is done (the CLI prints progress). */
  async createSnapshots(
    tenantIds: string[] | 'all',
    hours: number,
    onTenant: (result: TenantSnapshotResult, index: number, total: number) => void = () => undefined,
    now = new Date(),
  ): Promise<TenantSnapshotResult[]> {
    const ids = tenantIds === 'all' ? await this.tenants.listTenantIds() : tenantIds;
    const results: TenantSnapshotResult[] = [];
    for (const [index, tenantId] of ids.entries()) {
      if (!(await this.tenants.findById(tenantId))) throw AppException.notFound(`tenant ${tenantId}`);
      const result = await this.db.transaction((manager) =>
        this.snapshotTenant(manager, tenantId, trailingWindow(now, hours), now),
      );
      results.push(result);
      onTenant(result, index, ids.length);
    }
    return results;
  }

  /**
   * The scheduled snapshot of every tenant for the last aligned window. One replica runs it (advisory lock) and
   * the unique window key makes a late second run a no-op; returns undefined when another replica holds the lock.
   */
  async runScheduledSnapshots(now = new Date()): Promise<TenantSnapshotResult[] | undefined> {
    const window = alignedWindow(now, this.config.get('ANALYTICS_SNAPSHOT_INTERVAL_HOURS'));
    // Everything inside the lock goes through its transaction: the embedded database has a single connection.
    const ids = await this.tenants.listTenantIds();
    const outcome = await withAdvisoryXactLock(this.db, `analytics:snapshot:${window.end.toISOString()}`, async (m) => {
      const results: TenantSnapshotResult[] = [];
      for (const tenantId of ids) {
        results.push(await this.snapshotTenant(m, tenantId, window, now));
      }
      return results;
    });
    if (!outcome.ran) return undefined;
    const created = outcome.result.filter((result) => result.created).length;
    this.logger.log(`snapshots for ${window.start.toISOString()}..${window.end.toISOString()}: ${created} created`);
    return outcome.result;
  }

  private async snapshotTenant(
    db: Queryable,
    tenantId: string,
    window: TimeWindow,
    now: Date,
  ): Promise<TenantSnapshotResult> {
    const inserted = await this.snapshots.createFromEvents(db, tenantId, window);
    if (!inserted) {
      return {
        tenantId,
        snapshot: await this.snapshots.findByWindow(db, tenantId, window),
        created: false,
        openedAlerts: [],
      };
    }
    const openedAlerts = await this.alerts.apply(db, tenantId, inserted, now);
    return { tenantId, snapshot: inserted, created: true, openedAlerts };
  }
}
