import { Module } from '@nestjs/common';
import { SyncModule } from '../sync/sync.module';
import { ConflictLogRepository } from './conflict-log.repository';
import { ConflictPolicyController } from './conflict-policy.controller';
import { ConflictPolicyRepository } from './conflict-policy.repository';
import { ConflictController } from './conflict.controller';
import { ConflictService } from './conflict.service';

/** Conflict policies, the conflict engine's log, manual review and conflict reports. */
@Module({
  imports: [SyncModule],
  controllers: [ConflictPolicyController, ConflictController],
  providers: [ConflictPolicyRepository, ConflictLogRepository, ConflictService],
  exports: [ConflictService],
})
export class ConflictModule {}
