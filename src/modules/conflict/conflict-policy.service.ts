import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { DOMAINS } from '../../common/domain';
import { AppException } from '../../common/errors/app-exception';
import type { Queryable } from '../../database/sql';
import { defaultPolicy, EffectivePolicy, isKnownDomain, PolicySettings } from './conflict.policy';
import { ConflictPolicyRepository } from './conflict-policy.repository';
import type { ConflictPolicyDto, PutConflictPolicyDto } from './dto/conflict.dto';

function assertDomain(domain: string): void {
  if (!isKnownDomain(domain)) throw AppException.validation(`domain must be one of ${DOMAINS.join(', ')}`);
}

/** Each tenant's conflict policy per domain: its overrides over the defaults. */
@Injectable()
export class ConflictPolicyService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly policies: ConflictPolicyRepository,
  ) {}

  /** The effective policy of every known domain (tenant rows override defaults); one statement. */
  async policiesFor(db: Queryable, tenantId: string): Promise<Map<string, EffectivePolicy>> {
    const effective = new Map<string, EffectivePolicy>(DOMAINS.map((domain) => [domain, defaultPolicy(domain)]));
    for (const row of await this.policies.list(db, tenantId)) {
      effective.set(row.domain, { ...row, source: 'tenant' });
    }
    return effective;
  }

  async list(tenantId: string): Promise<ConflictPolicyDto[]> {
    const effective = await this.policiesFor(this.db, tenantId);
    return DOMAINS.map((domain) => effective.get(domain)!);
  }

  async put(principal: Principal, domain: string, change: PutConflictPolicyDto): Promise<ConflictPolicyDto> {
    assertDomain(domain);
    const settings: PolicySettings = {
      resolution_policy: change.resolution_policy,
      auto_resolve: change.auto_resolve ?? change.resolution_policy !== 'manual',
      notify_on_conflict: change.notify_on_conflict ?? false,
      protected_fields: change.protected_fields ?? null,
    };
    if (settings.resolution_policy === 'manual' && settings.auto_resolve) {
      throw AppException.validation('the manual policy cannot auto-resolve: set auto_resolve to false', [
        { field: 'auto_resolve', message: 'must be false with resolution_policy manual' },
      ]);
    }
    const row = await this.policies.upsert(this.db, principal.tenantId, domain, settings, principal.userId);
    return { ...row, source: 'tenant' };
  }

  /** Reverts a domain to its default policy. */
  async delete(tenantId: string, domain: string): Promise<void> {
    assertDomain(domain);
    if (!(await this.policies.delete(this.db, tenantId, domain))) {
      throw AppException.notFound(`conflict policy override for ${domain}`);
    }
  }
}
