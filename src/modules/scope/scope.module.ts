import { Module } from '@nestjs/common';
import { SyncRecordStoreModule } from '../sync/sync-record-store.module';
import { DirectoryController } from './directory.controller';
import { DirectoryRepository } from './directory.repository';
import { DirectoryService } from './directory.service';
import { ScopeApplyService } from './scope-apply.service';
import { ScopeExplainService } from './scope-explain.service';
import { ScopeScheduler } from './scope.scheduler';
import { ScopeFeedService } from './scope-feed.service';
import { ScopeIndexRepository } from './scope-index.repository';
import { ScopeIndexService } from './scope-index.service';
import { SyncRulesController } from './sync-rules.controller';
import { SyncRulesRepository } from './sync-rules.repository';
import { SyncRulesService } from './sync-rules.service';

/** Per-user sync scopes: the directory, the rules, the scope keys of records and their log. */
@Module({
  imports: [SyncRecordStoreModule],
  controllers: [DirectoryController, SyncRulesController],
  providers: [
    DirectoryRepository,
    SyncRulesRepository,
    ScopeIndexRepository,
    ScopeIndexService,
    DirectoryService,
    SyncRulesService,
    ScopeExplainService,
    ScopeFeedService,
    ScopeApplyService,
    ScopeScheduler,
  ],
  exports: [ScopeIndexService, DirectoryService, SyncRulesService, ScopeFeedService, ScopeApplyService],
})
export class ScopeModule {}
