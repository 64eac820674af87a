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

/** Tenants whose rules a replica remembers (a rules version never changes once stored). */
const KNOWN_TENANTS = 10_000;

/** Versioned per-tenant scope rules. A new version takes effect for writes at once and is applied to stored records in the background. */
@Injectable()
export class SyncRulesService {
  /** The last rules version read per tenant: a push reads only the version number while it is still in force. */
  private readonly known = new Map<string, { version: number; rules: SyncRules }>();

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

  /** The rules version this replica last saw in force for the tenant, if any (a hint: check the version). */
  knownVersion(tenantId: string): number | null {
    return this.known.get(tenantId)?.version ?? null;
  }

  /**
   * The rules of `version`, read now as the version in force: `rules` as read, or null when the read left them out
   * because the version is the one knownVersion gave (or 0, the defaults).
   */
  inForce(tenantId: string, version: number, rules: SyncRules | null): SyncRules {
    const known = this.known.get(tenantId);
    const resolved = version === 0 ? DEFAULT_RULES : (rules ?? (known?.version === version ? known.rules : null));
    if (resolved === null) throw new Error(`sync rules version ${version} of tenant ${tenantId} were not read`);
    if (known?.version !== version) {
      if (this.known.size >= KNOWN_TENANTS) this.known.clear();
      this.known.set(tenantId, { version, rules: resolved });
    }
    return resolved;
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
