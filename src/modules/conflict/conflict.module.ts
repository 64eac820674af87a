import { Module } from '@nestjs/common';
import { SyncModule } from '../sync/sync.module';
import { ConflictLogRepository } from './conflict-log.repository';
import { ConflictLogService } from './conflict-log.service';
import { ConflictPolicyController } from './conflict-policy.controller';
import { ConflictPolicyRepository } from './conflict-policy.repository';
import { ConflictPolicyService } from './conflict-policy.service';
import { ConflictReportService } from './conflict-report.service';
import { ConflictResolveService } from './conflict-resolve.service';
import { ConflictReviewService } from './conflict-review.service';
import { ConflictController } from './conflict.controller';

/** Conflict policies, the conflict engine's log, manual review and conflict reports. */
@Module({
  imports: [SyncModule],
  controllers: [ConflictPolicyController, ConflictController],
  providers: [
    ConflictPolicyRepository,
    ConflictLogRepository,
    ConflictPolicyService,
    ConflictLogService,
    ConflictResolveService,
    ConflictReviewService,
    ConflictReportService,
  ],
  exports: [ConflictPolicyService, ConflictLogService, ConflictReportService],
})
export class ConflictModule {}
