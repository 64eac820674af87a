import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { AppException } from '../../common/errors/app-exception';
import type { Queryable } from '../../database/sql';
import { RulesProgress, SyncRulesRepository } from './sync-rules.repository';
import { DEFAULT_RULES, SyncRules, validateRules } from './sync-rules.policy';

export interface RulesState {
  /** 0: the tenant never set rules (the defaults). */
  version: number;
  rules: SyncRules;
  applied: boolean;
  progress: RulesProgress;
}

const DEFAULTS: RulesState = {
  version: 0,
  rules: DEFAULT_RULES,
  applied: true,
  progress: { records_done: 0, records_total: 0 },
};

/** Versioned per-tenant scope rules. A new version takes effect for writes at once and is applied to stored records in the background. */
@Injectable()
export class SyncRulesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly rules: SyncRulesRepository,
  ) {}

  /** The rules in force (the highest version, or the defaults); one statement. */
  async state(db: Queryable, tenantId: string): Promise<RulesState> {
    const row = await this.rules.latest(db, tenantId);
    return row ? { version: row.version, rules: row.rules, applied: row.applied, progress: row.progress } : DEFAULTS;
  }

  /** The rules record keys are computed with (push, manual resolve, restore). */
  async rulesFor(db: Queryable, tenantId: string): Promise<SyncRules> {
    return (await this.state(db, tenantId)).rules;
  }

  current(tenantId: string): Promise<RulesState> {
    return this.state(this.db, tenantId);
  }

  /** Validates and stores a new version (domains left out keep their defaults). */
  async put(principal: Principal, input: unknown): Promise<RulesState> {
    const validated = validateRules(input);
    if (!validated.ok) {
      const first = validated.errors[0];
      throw AppException.validation(`${first.field} ${first.message}`, validated.errors);
    }
    return this.store(principal, validated.rules);
  }

  /** Back to the defaults, as a new version. */
  reset(principal: Principal): Promise<RulesState> {
    return this.store(principal, DEFAULT_RULES);
  }

  private async store(principal: Principal, rules: SyncRules): Promise<RulesState> {
    const row = await this.db.transaction((tx) =>
      this.rules.insertNext(tx, principal.tenantId, rules, principal.userId),
    );
    return { version: row.version, rules: row.rules, applied: row.applied, progress: row.progress };
  }
}
