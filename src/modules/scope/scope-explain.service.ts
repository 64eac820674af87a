import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Domain } from '../../common/domain';
import { AppException } from '../../common/errors/app-exception';
import { DirectoryService } from './directory.service';
import { SyncRecordStore } from '../sync/sync-record-store.service';
import { refKey, ScopeIndexService } from './scope-index.service';
import { explainAccess } from './scope.policy';
import { SyncRulesService } from './sync-rules.service';

export interface ExplainQuery {
  user_id: string;
  domain: Domain;
  mobile_id: string;
}

export interface Explanation {
  /** The keys the record holds under the rules in force. */
  record_keys: string[];
  /** The keys record_scope holds for it now (differs while a rule version is being applied). */
  stored_keys: string[];
  user_keys: string[];
  can_read: boolean;
  can_write: boolean;
  reasons: string[];
  rules_version: number;
}

/** Why a user does or does not receive and change a record. */
@Injectable()
export class ScopeExplainService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly directory: DirectoryService,
    private readonly rules: SyncRulesService,
    private readonly scopes: ScopeIndexService,
    private readonly records: SyncRecordStore,
  ) {}

  async explain(tenantId: string, query: ExplainQuery): Promise<Explanation> {
    const mobileId = query.mobile_id.toLowerCase();
    const record = await this.records.findOne(this.db, tenantId, query.domain, mobileId);
    if (!record) throw AppException.notFound(`${query.domain} record ${mobileId}`);
    const [user, state, stored] = await Promise.all([
      this.directory.scopeOf(this.db, tenantId, query.user_id),
      this.rules.state(this.db, tenantId),
      this.scopes.storedScopes(this.db, tenantId, [{ domain: query.domain, mobileId }]),
    ]);
    const ref = refKey(query.domain, mobileId);
    const version = {
      domain: query.domain,
      mobileId,
      version: record.version,
      data: record.data,
      deleted: record.deleted,
      userId: record.updated_by_user,
    };
    const [keys] = await this.scopes.keysFor(this.db, tenantId, state.rules, [version], stored);
    const storedKeys = stored.get(ref)?.keys ?? [];
    const explained = explainAccess(state.rules, query.domain, user.user, user.keys, keys);
    if (!user.inDirectory)
      explained.reasons.push(`user ${query.user_id} is not in the directory: it holds only its own key`);
    if (storedKeys.join() !== keys.join()) {
      explained.reasons.push('record_scope differs from the rules in force (a rule version is still being applied)');
    }
    return {
      record_keys: keys,
      stored_keys: storedKeys,
      user_keys: user.keys,
      ...explained,
      rules_version: state.version,
    };
  }
}
