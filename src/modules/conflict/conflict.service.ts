import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { DOMAINS } from '../../common/domain';
import { AppException, ErrorCode } from '../../common/errors/app-exception';
import { isUuid, UUID_PATTERN } from '../../common/ids';
import { CursorCodec } from '../../common/pagination/cursor';
import { DAY_MS, parseQueryInstant } from '../../common/time/instant';
import type { Queryable } from '../../database/sql';
import { NotificationRepository } from '../notification/notification.repository';
import { SyncRecordsService } from '../sync/sync-records.service';
import {
  ConflictResolution,
  defaultPolicy,
  EffectivePolicy,
  Entry,
  isKnownDomain,
  PolicySettings,
  resolveConflict,
} from './conflict.policy';
import { ConflictCounts, ConflictLogInsert, ConflictLogRepository, ConflictLogRow } from './conflict-log.repository';
import { ConflictPolicyRepository } from './conflict-policy.repository';
import type { ConflictResult } from './entities/conflict-log.entity';

export type { ConflictLogInsert } from './conflict-log.repository';

const CURSOR = new CursorCodec('', [/^\d{1,20}$/, new RegExp(UUID_PATTERN)]);
export const HOTSPOT_LIMIT = 5;
export const TOP_DEVICES_LIMIT = 5;

export interface PolicyChange {
  resolution_policy: PolicySettings['resolution_policy'];
  auto_resolve?: boolean;
  notify_on_conflict?: boolean;
  protected_fields?: string[] | null;
}

export interface ApiResolveRequest {
  domain: string;
  server_entry: Entry;
  client_entry: Entry;
  base_entry?: Entry | null;
}

export interface ConflictListQuery {
  domain?: string;
  result?: ConflictResult;
  since?: string;
  cursor?: string;
  limit?: number;
}

export interface ConflictPage {
  items: ConflictLogRow[];
  next_cursor: string | null;
}

export interface ConflictActionResult {
  conflict: ConflictLogRow;
  /** The record version written, or null when none was (a conflict logged by the resolve API). */
  recordVersion: number | null;
}

export interface Hotspot {
  domain: string;
  conflict_count: number;
}

export interface ConflictReport {
  days: number;
  since: string;
  until: string;
  total: number;
  by_domain: Array<{ domain: string; count: number }>;
  by_strategy: Array<{ strategy: string; count: number }>;
  by_result: Array<{ result: string; count: number }>;
  /** manual_required conflicts nobody has resolved yet, whatever their age. */
  pending_reviews: number;
  top_devices: Array<{ device_id: string; conflict_count: number }>;
}

function window(days: number, until: Date): { since: Date; until: Date } {
  if (!Number.isInteger(days) || days < 1 || days > 365) throw AppException.validation('days must be 1..365');
  return { since: new Date(until.getTime() - days * DAY_MS), until };
}

function uuidOf(value: unknown): string | null {
  return typeof value === 'string' && isUuid(value) ? value.toLowerCase() : null;
}

function versionOf(entry: Entry | null | undefined): number | null {
  const version = entry?.version;
  return typeof version === 'number' && Number.isInteger(version) && Math.abs(version) < 2 ** 31 ? version : null;
}

function actor(principal: Principal): string {
  return principal.userId ?? 'admin';
}

function encodeCursor(row: ConflictLogRow): string {
  return CURSOR.encode([row.created_us, row.id]);
}

function decodeCursor(cursor: string): { createdUs: string; id: string } {
  const [createdUs, id] = CURSOR.decode(cursor);
  return { createdUs, id };
}

/** Conflict policies, the conflict log, manual review and the conflict reports. */
@Injectable()
export class ConflictService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly policies: ConflictPolicyRepository,
    private readonly logs: ConflictLogRepository,
    private readonly notifications: NotificationRepository,
    private readonly records: SyncRecordsService,
  ) {}

  /** The effective policy of every known domain (tenant rows override defaults); one statement. */
  async policiesFor(db: Queryable, tenantId: string): Promise<Map<string, EffectivePolicy>> {
    const effective = new Map<string, EffectivePolicy>(DOMAINS.map((domain) => [domain, defaultPolicy(domain)]));
    for (const row of await this.policies.list(db, tenantId)) {
      effective.set(row.domain, { ...row, source: 'tenant' });
    }
    return effective;
  }

  async listPolicies(tenantId: string): Promise<EffectivePolicy[]> {
    const effective = await this.policiesFor(this.db, tenantId);
    return DOMAINS.map((domain) => effective.get(domain)!);
  }

  async putPolicy(principal: Principal, domain: string, change: PolicyChange): Promise<EffectivePolicy> {
    this.assertDomain(domain);
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
  async deletePolicy(tenantId: string, domain: string): Promise<void> {
    this.assertDomain(domain);
    if (!(await this.policies.delete(this.db, tenantId, domain))) {
      throw AppException.notFound(`conflict policy override for ${domain}`);
    }
  }

  /** Logs conflicts in one INSERT and queues their notifications in one more; pass the caller's transaction. */
  async recordConflicts(db: Queryable, tenantId: string, conflicts: ConflictLogInsert[]): Promise<void> {
    if (conflicts.length === 0) return;
    await this.logs.insertMany(db, tenantId, conflicts);
    await this.notifications.enqueue(
      db,
      tenantId,
      conflicts
        .filter((c) => c.notify)
        .map((c) => ({
          kind: 'conflict',
          payload: {
            conflict_id: c.id,
            domain: c.domain,
            mobile_id: c.mobileId,
            resolution_result: c.result,
            resolution_strategy: c.strategy,
            winning_version: c.winningVersion,
            device_id: c.deviceId,
            user_id: c.userId,
            source: c.source,
          },
        })),
    );
  }

  /** Resolves two (or three) copies by the tenant's policy for the domain and logs it with source `api`. */
  async resolve(
    principal: Principal,
    request: ApiResolveRequest,
  ): Promise<ConflictResolution & { conflict_id: string }> {
    const policy =
      (await this.policiesFor(this.db, principal.tenantId)).get(request.domain) ?? defaultPolicy(request.domain);
    const base = request.base_entry ?? null;
    const resolution = resolveConflict(policy, { server: request.server_entry, client: request.client_entry, base });
    const id = randomUUID();
    await this.db.transaction((manager) =>
      this.recordConflicts(manager, principal.tenantId, [
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
          resolvedBy: resolution.resolution === 'resolved' ? 'policy' : null,
          resolvedAt: resolution.resolution === 'resolved' ? new Date() : null,
          notify: policy.notify_on_conflict,
        },
      ]),
    );
    return { ...resolution, conflict_id: id };
  }

  async list(tenantId: string, query: ConflictListQuery): Promise<ConflictPage> {
    const limit = query.limit ?? 50;
    const since = parseQueryInstant(query.since);
    const items = await this.logs.page(
      this.db,
      tenantId,
      {
        domain: query.domain ?? null,
        result: query.result ?? null,
        since: since === null ? null : new Date(since),
        after: query.cursor === undefined ? null : decodeCursor(query.cursor),
      },
      limit + 1,
    );
    const more = items.length > limit;
    const page = more ? items.slice(0, limit) : items;
    return { items: page, next_cursor: more ? encodeCursor(page[page.length - 1]) : null };
  }

  async get(tenantId: string, id: string): Promise<ConflictLogRow> {
    const row = isUuid(id) ? await this.logs.findById(this.db, tenantId, id) : undefined;
    if (!row) throw AppException.notFound(`conflict ${id}`);
    return row;
  }

  /**
   * A reviewer's decision on a manual_required conflict: in one transaction the log is marked resolved (only if it
   * still awaits review) and the chosen copy becomes the record's next version.
   */
  async resolveManually(
    principal: Principal,
    id: string,
    choose: 'client' | 'server' | 'merged',
    mergedEntry: Entry | undefined,
  ): Promise<ConflictActionResult> {
    if (choose === 'merged' && mergedEntry === undefined) {
      throw AppException.validation('merged_entry is required with choose=merged', [
        { field: 'merged_entry', message: 'merged_entry is required with choose=merged' },
      ]);
    }
    if (choose !== 'merged' && mergedEntry !== undefined) {
      throw AppException.validation('merged_entry is only allowed with choose=merged', [
        { field: 'merged_entry', message: 'merged_entry is only allowed with choose=merged' },
      ]);
    }
    if (!isUuid(id)) throw AppException.notFound(`conflict ${id}`);
    return this.db.transaction(async (manager) => {
      const row = await this.logs.markResolved(
        manager,
        principal.tenantId,
        id,
        choose,
        mergedEntry ?? null,
        actor(principal),
      );
      if (!row) throw await this.notAwaitingReview(manager, principal.tenantId, id);
      if (row.source !== 'push' || row.mobile_id === null) return { conflict: row, recordVersion: null };
      const written = await this.records.writeNewVersion(manager, principal.tenantId, {
        domain: row.domain,
        mobileId: row.mobile_id,
        data: row.result_entry ?? {},
        userId: principal.userId,
        deviceId: principal.deviceId,
        origin: 'manual',
      });
      return { conflict: row, recordVersion: written.version };
    });
  }

  /**
   * Undoes an automatic push resolution by writing its losing copy as the record's next version (history is never
   * edited): the server copy when the client won, else the client copy as the device sent it.
   */
  async restore(principal: Principal, id: string): Promise<ConflictActionResult> {
    if (!isUuid(id)) throw AppException.notFound(`conflict ${id}`);
    return this.db.transaction(async (manager) => {
      const row = await this.logs.markRestored(manager, principal.tenantId, id, actor(principal));
      if (!row) throw await this.notRestorable(manager, principal.tenantId, id);
      const losing = row.winning_version === 'client' ? row.server_entry : row.client_entry;
      const written = await this.records.writeNewVersion(manager, principal.tenantId, {
        domain: row.domain,
        mobileId: row.mobile_id!,
        data: losing,
        userId: principal.userId,
        deviceId: principal.deviceId,
        origin: 'restore',
      });
      return { conflict: row, recordVersion: written.version };
    });
  }

  /** Domains with the most conflicts in the last `days` days (tenant only, top 5, most first). */
  async hotspots(tenantId: string, days: number, until: Date = new Date()): Promise<Hotspot[]> {
    const range = window(days, until);
    const rows = await this.logs.countByDomain(this.db, tenantId, range.since, range.until, HOTSPOT_LIMIT);
    return rows.map((row) => ({ domain: row.key, conflict_count: row.count }));
  }

  /** Conflict counts of the last `days` days by domain, strategy and result, pending reviews and top devices. */
  async report(tenantId: string, days: number, until: Date = new Date()): Promise<ConflictReport> {
    const range = window(days, until);
    const counts: ConflictCounts = await this.logs.counts(
      this.db,
      tenantId,
      range.since,
      range.until,
      TOP_DEVICES_LIMIT,
    );
    return {
      days,
      since: range.since.toISOString(),
      until: range.until.toISOString(),
      total: counts.total,
      by_domain: counts.by_domain.map((c) => ({ domain: c.key, count: c.count })),
      by_strategy: counts.by_strategy.map((c) => ({ strategy: c.key, count: c.count })),
      by_result: counts.by_result.map((c) => ({ result: c.key, count: c.count })),
      pending_reviews: counts.pending_reviews,
      top_devices: counts.top_devices.map((c) => ({ device_id: c.key, conflict_count: c.count })),
    };
  }

  private assertDomain(domain: string): void {
    if (!isKnownDomain(domain)) throw AppException.validation(`domain must be one of ${DOMAINS.join(', ')}`);
  }

  private async notAwaitingReview(db: Queryable, tenantId: string, id: string): Promise<AppException> {
    const row = await this.logs.findById(db, tenantId, id);
    if (!row) return AppException.notFound(`conflict ${id}`);
    if (row.resolution_result === 'failed') {
      return new AppException(ErrorCode.Conflict, `conflict ${id} failed; it is not awaiting review`);
    }
    return new AppException(ErrorCode.AlreadyResolved, `conflict ${id} is already resolved`);
  }

  private async notRestorable(db: Queryable, tenantId: string, id: string): Promise<AppException> {
    const row = await this.logs.findById(db, tenantId, id);
    if (!row) return AppException.notFound(`conflict ${id}`);
    if (row.restored_at !== null) return new AppException(ErrorCode.Conflict, `conflict ${id} is already restored`);
    if (row.resolution_result !== 'resolved') {
      return new AppException(
        ErrorCode.Conflict,
        `conflict ${id} was not resolved automatically (${row.resolution_result}); resolve it instead`,
      );
    }
    return new AppException(
      ErrorCode.Conflict,
      `conflict ${id} was logged by the resolve API and changed no record; nothing to restore`,
    );
  }
}
