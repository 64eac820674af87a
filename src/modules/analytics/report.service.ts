import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { withAdvisoryXactLock } from '../../database/advisory-lock';
import { ConflictReportService } from '../conflict/conflict-report.service';
import type { ConflictReportDto } from '../conflict/dto/conflict.dto';
import { TenantService } from '../tenant/tenant.service';
import { alignedDays, trailingWindow } from './analytics-window.policy';
import { ReportRepository } from './report.repository';

const CONFLICT_REPORT_KIND = 'conflict_weekly';

export interface TenantConflictReport {
  tenantId: string;
  report: ConflictReportDto;
  /** true: this call saved it in sync_report. */
  stored: boolean;
}

/** The conflict report of every tenant, on demand or stored weekly in sync_report. */
@Injectable()
export class ReportService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly reports: ReportRepository,
    private readonly conflicts: ConflictReportService,
    private readonly tenants: TenantService,
  ) {}

  /**
   * The conflict report of every tenant over the last `days` days. With `store`, the weekly task: saved once per
   * tenant and aligned period, under the period's advisory lock; returns undefined when another replica holds it.
   */
  async conflictReports(
    days: number,
    options: { store: boolean; now?: Date },
  ): Promise<TenantConflictReport[] | undefined> {
    const now = options.now ?? new Date();
    const period = options.store ? alignedDays(now, days) : trailingWindow(now, days * 24);
    const reports: TenantConflictReport[] = [];
    for (const tenantId of await this.tenants.listTenantIds()) {
      reports.push({ tenantId, report: await this.conflicts.report(tenantId, days, period.end), stored: false });
    }
    if (!options.store) return reports;
    const outcome = await withAdvisoryXactLock(
      this.db,
      `analytics:conflict-report:${period.start.toISOString()}`,
      async (m) => {
        for (const entry of reports) {
          entry.stored =
            (await this.reports.insert(m, entry.tenantId, CONFLICT_REPORT_KIND, period, entry.report)) !== undefined;
        }
      },
    );
    return outcome.ran ? reports : undefined;
  }
}
