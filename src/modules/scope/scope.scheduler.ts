import { Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { withAdvisoryXactLock } from '../../database/advisory-lock';
import { errorMessage } from '../../common/errors/error-message';
import { ScopeApplyService } from './scope-apply.service';

/** Every schedule of the scope module, in one place (UTC). */
export const SCOPE_SCHEDULES = {
  /** Apply pending rule versions (and the keys of records stored before scopes), batch by batch. */
  applyRules: '*/15 * * * * *',
  /** Recompute every record's keys and report differences; never fixes. */
  dailyCheck: '0 45 3 * * *',
} as const;

/**
 * Ticks only call service methods. Each apply batch takes the tenant's transaction-scoped advisory lock, so one
 * replica applies a tenant at a time. Active only when SCHEDULER_ENABLED (ScheduleModule is imported).
 */
@Injectable()
export class ScopeScheduler {
  private readonly logger = new Logger(ScopeScheduler.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly apply: ScopeApplyService,
  ) {}

  @Cron(SCOPE_SCHEDULES.applyRules, { name: 'scope-apply-rules', timeZone: 'UTC' })
  async applyRules(): Promise<void> {
    await this.guard('rules application', () => this.apply.applyPending());
  }

  @Cron(SCOPE_SCHEDULES.dailyCheck, { name: 'scope-daily-check', timeZone: 'UTC' })
  async dailyCheck(): Promise<void> {
    const day = new Date().toISOString().slice(0, 10);
    // The lock only elects one replica for the day's run; the check reads outside that transaction.
    await this.guard('scope consistency check', () =>
      withAdvisoryXactLock(this.db, `scope:check:${day}`, () => this.reportDifferences()),
    );
  }

  private async reportDifferences(): Promise<void> {
    for (const report of await this.apply.check('all', { sample: 5 })) {
      if (report.differing > 0) {
        this.logger.warn(
          `tenant ${report.tenant_id}: ${report.differing} of ${report.records} records hold other keys than the ` +
            `rules give (${report.missing_keys} missing, ${report.extra_keys} extra); sample ${JSON.stringify(report.sample)}`,
        );
      }
    }
  }

  private async guard(task: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.logger.error(`${task} failed: ${errorMessage(error)}`);
    }
  }
}
