import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { isUuid } from '../../common/ids';
import { defaultPolicy, Entry, resolveConflict } from './conflict.policy';
import { ConflictLogService } from './conflict-log.service';
import { ConflictPolicyService } from './conflict-policy.service';
import type { ConflictResolutionDto, ResolveConflictDto } from './dto/conflict.dto';

function uuidOf(value: unknown): string | null {
  return typeof value === 'string' && isUuid(value) ? value.toLowerCase() : null;
}

/** The log's integer column, or null when the entry carries no version that fits it. */
function versionOf(entry: Entry | null | undefined): number | null {
  const version = entry?.version;
  return typeof version === 'number' && Number.isInteger(version) && Math.abs(version) < 2 ** 31 ? version : null;
}

/** The resolve API: the conflict engine on copies a caller sends, logged with source `api`. */
@Injectable()
export class ConflictResolveService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly policies: ConflictPolicyService,
    private readonly log: ConflictLogService,
  ) {}

  /** Resolves two (or three) copies by the tenant's policy for the domain and logs it. */
  async resolve(principal: Principal, request: ResolveConflictDto): Promise<ConflictResolutionDto> {
    const policy =
      (await this.policies.policiesFor(this.db, principal.tenantId)).get(request.domain) ??
      defaultPolicy(request.domain);
    const base = request.base_entry ?? null;
    const resolution = resolveConflict(policy, { server: request.server_entry, client: request.client_entry, base });
    const resolved = resolution.resolution === 'resolved';
    const id = randomUUID();
    await this.db.transaction((manager) =>
      this.log.recordConflicts(manager, principal.tenantId, [
        {
          id,
          domain: request.domain,
          mobileId: uuidOf(request.client_entry.mobile_id) ?? uuidOf(request.server_entry.mobile_id),
          deviceId: principal.deviceId,
          userId: principal.userId,
          serverVersion: versionOf(request.server_entry),
          clientVersion: versionOf(request.client_entry),
          baseVersion: versionOf(base),
          strategy: resolution.strategy_used,
          result: resolution.resolution,
          winningVersion: resolution.winning_version,
          mergeDetails: resolution.merge_details,
          serverEntry: request.server_entry,
          clientEntry: request.client_entry,
          baseEntry: base,
          resultEntry: resolution.winning_entry,
          source: 'api',
          queueItemId: null,
          clientMutationId: null,
          resolvedBy: resolved ? 'policy' : null,
          resolvedAt: resolved ? new Date() : null,
          notify: policy.notify_on_conflict,
        },
      ]),
    );
    return { ...resolution, conflict_id: id };
  }
}
