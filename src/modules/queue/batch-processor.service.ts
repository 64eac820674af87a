import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { isAdmin, Principal } from '../../common/auth/principal';
import type { Domain } from '../../common/domain';
import type { SyncMeter } from '../../common/metering/sync-meter';
import { AppConfig } from '../../config/app-config';
import { defaultPolicy } from '../conflict/conflict.policy';
import { ConflictLogService } from '../conflict/conflict-log.service';
import { ConflictPolicyService } from '../conflict/conflict-policy.service';
import { ItemShapeService } from '../record-shape/item-shape.service';
import { highestSeq, refKey, ScopeIndexService, StoredScope, versionKeys } from '../scope/scope-index.service';
import { announceChange } from '../live/change-signal';
import type { Membership } from '../scope/scope.policy';
import type { SyncRules } from '../scope/sync-rules.policy';
import {
  recordKey,
  RecordKey,
  RecordRow,
  RecordWrite,
  SyncRecordStore,
  WrittenRecord,
} from '../sync/sync-record-store.service';
import { ClaimFilter, ItemOutcome, NewQueueItem, QueueItemRepository } from './queue-item.repository';
import { ItemResult, planBatch, PlannedItem, rejectItems, WriteGuard } from './queue.policy';
import { ItemPrincipal, scopeGuard } from './write-guard.policy';

export interface ProcessedBatch {
  items: PlannedItem[];
  results: Map<string, ItemResult>;
  /** Items upcast from an older schema version. */
  upcast: number;
}

/** A push's items read unknown under its device lock, in push order, to be stored with their results. */
export interface FreshItems {
  deviceId: string;
  userId: string | null;
  rows: NewQueueItem[];
}

export function emptyBatch(): ProcessedBatch {
  return { items: [], results: new Map(), upcast: 0 };
}

/** What a batch's write checks and scope keys read once, under the record locks. */
interface BatchScope {
  rules: SyncRules;
  stored: Map<string, StoredScope>;
  memberships: Map<string, Membership[]>;
  guard: WriteGuard;
}

const UNRESTRICTED: ItemPrincipal = { keys: [], admin: true };

/**
 * Applies queue items through the conflict engine, one batch per call inside the caller's transaction, in a fixed
 * number of statements whatever the batch size. Push, partial sync and the drain all go through here.
 */
@Injectable()
export class BatchProcessorService {
  constructor(
    private readonly items: QueueItemRepository,
    private readonly records: SyncRecordStore,
    private readonly conflictPolicies: ConflictPolicyService,
    private readonly conflicts: ConflictLogService,
    private readonly config: AppConfig,
    private readonly scopes: ScopeIndexService,
    private readonly shapes: ItemShapeService,
  ) {}

  /** `actor`: the caller whose request applies the items (push, partial sync); without one, each item's user. */
  async processClaim(manager: EntityManager, filter: ClaimFilter, actor?: Principal): Promise<ProcessedBatch> {
    const started = process.hrtime.bigint();
    const claimed = await this.items.claim(manager, filter);
    if (claimed.length === 0) return emptyBatch();
    return this.applyItems(manager, filter.tenantId, claimed, started, actor);
  }

  /**
   * Plans and writes a batch of claimed (locked) items, or with `fresh` the items of a push not stored yet: their
   * queue rows are then inserted once, with their results (`claimed[i]` is `fresh.rows[i]`, its id a provisional
   * one that orders the batch and keys the results).
   */
  async applyItems(
    manager: EntityManager,
    tenantId: string,
    claimed: PlannedItem[],
    started: bigint,
    actor?: Principal,
    fresh?: FreshItems,
  ): Promise<ProcessedBatch> {
    const keys = uniqueKeys(claimed);
    await this.records.lock(manager, tenantId, keys);
    const current = await this.records.find(manager, tenantId, keys);
    // Upcast to the current schema versions and validated: the planner sees only current shapes.
    const shaped = await this.shapes.prepare(manager, tenantId, claimed, current);
    const items = shaped.items;
    const versions = new Map(current.map((row) => [recordKey(row.domain, row.mobile_id), row.version]));
    const wanted = items.filter(
      (item) =>
        item.base_version > 0 && item.base_version < (versions.get(recordKey(item.domain, item.mobile_id)) ?? 0),
    );
    // One connection per transaction: its statements run one after the other.
    const revisions = await this.records.findRevisions(
      manager,
      tenantId,
      wanted.map((item) => ({ domain: item.domain, mobileId: item.mobile_id, version: item.base_version })),
    );
    const policies = await this.conflictPolicies.policiesFor(manager, tenantId);
    const scope = this.config.get('BENCH_SKIP_SCOPES')
      ? null
      : await this.batchScope(manager, tenantId, items, current, actor);
    const plan = planBatch(
      { now: new Date(), guard: scope?.guard, invariant: shaped.invariant },
      items,
      current,
      revisions,
      policies,
      defaultPolicy,
    );

    rejectItems(plan, claimed, shaped.rejected);

    const outcomes: ItemOutcome[] = claimed.map((item) => ({
      id: item.id,
      status: plan.statuses.get(item.id)!,
      result: plan.results.get(item.id)!,
    }));
    const msPerItem = Number(process.hrtime.bigint() - started) / 1e6 / claimed.length;
    let conflicts = plan.conflicts;
    if (fresh) {
      const ids = await this.items.insertDone(
        manager,
        tenantId,
        fresh.deviceId,
        fresh.userId,
        fresh.rows.map((row, index) => ({ ...row, status: outcomes[index].status, result: outcomes[index].result })),
        msPerItem,
      );
      const stored = new Map(claimed.map((item) => [item.id, ids.get(item.client_mutation_id)!]));
      conflicts = conflicts.map((c) => ({ ...c, queueItemId: c.queueItemId && stored.get(c.queueItemId)! }));
    } else {
      await this.items.markDone(manager, tenantId, outcomes, msPerItem);
    }
    await this.conflicts.recordConflicts(manager, tenantId, conflicts);
    // Last: the tenant's feed lock is held from here to commit, so keep that stretch short.
    const written = await this.records.write(manager, tenantId, plan.writes);
    // The key write announces the commit to the readers of its keys; without keys, the whole tenant is woken.
    if (scope) await this.writeKeys(manager, tenantId, scope, plan.writes, written);
    else if (written.length > 0)
      await announceChange(manager, {
        tenantId,
        changeSeq: highestSeq(written.map((row) => ({ changeSeq: row.change_seq }))),
      });
    return { items: claimed, results: plan.results, upcast: shaped.upcast };
  }

  /**
   * Rules, stored keys, the owners' memberships and each acting user's keys, read once per batch in one statement
   * (ScopeIndexService.readBatch). An admin actor and an item queued without a user are unrestricted.
   */
  private async batchScope(
    manager: EntityManager,
    tenantId: string,
    items: PlannedItem[],
    current: RecordRow[],
    actor: Principal | undefined,
  ): Promise<BatchScope> {
    const adminActor = actor !== undefined && isAdmin(actor);
    const exists = new Set(current.map((row) => recordKey(row.domain, row.mobile_id)));
    const restricted = adminActor
      ? []
      : [...new Set(items.map((item) => item.user_id))].filter((userId): userId is string => userId !== null);
    const { rules, stored, userKeys, memberships } = await this.scopes.readBatch(
      manager,
      tenantId,
      [
        ...items.map((item) => ({
          domain: item.domain as Domain,
          mobileId: item.mobile_id,
          data: item.payload,
          author: exists.has(recordKey(item.domain, item.mobile_id)) ? null : item.user_id,
        })),
        ...current.map((row) => ({
          domain: row.domain as Domain,
          mobileId: row.mobile_id,
          data: row.data,
          author: null,
        })),
      ],
      restricted,
    );
    const principals = new Map<string | null, ItemPrincipal>([[null, UNRESTRICTED]]);
    for (const userId of new Set(items.map((item) => item.user_id))) {
      if (userId !== null)
        principals.set(userId, adminActor ? UNRESTRICTED : { keys: userKeys.get(userId)!, admin: false });
    }
    const guard = scopeGuard({
      rules,
      principalOf: (item) => principals.get(item.user_id)!,
      stored: (domain, mobileId) => stored.get(refKey(domain, mobileId)),
      keysOf: (domain, data, creator) => versionKeys(rules, domain, data, creator, memberships),
    });
    return { rules, stored, memberships, guard };
  }

  /** The scope keys of every version written, after the record write gave them their change_seq: one statement. */
  private async writeKeys(
    manager: EntityManager,
    tenantId: string,
    scope: BatchScope,
    writes: RecordWrite[],
    written: WrittenRecord[],
  ): Promise<void> {
    const seqs = new Map(written.map((row) => [recordKey(row.domain, row.mobile_id), row.change_seq]));
    await this.scopes.writeRecordKeys(
      manager,
      tenantId,
      scope.rules,
      writes.map((write) => ({
        domain: write.domain as Domain,
        mobileId: write.mobileId,
        version: write.version,
        data: write.data,
        deleted: write.deleted,
        userId: write.userId,
        changeSeq: seqs.get(recordKey(write.domain, write.mobileId))!,
      })),
      scope.stored,
      scope.memberships,
    );
  }
}

/** Adds a processed batch's conflicts and domain counts to the request's meter. */
export function meterBatch(meter: SyncMeter, batch: ProcessedBatch): void {
  for (const item of batch.items) {
    const result = batch.results.get(item.id);
    const conflict = result?.conflict_id ? 1 : 0;
    const manual = result?.status === 'manual_required' ? 1 : 0;
    meter.conflicts += conflict;
    meter.manual += manual;
    meter.autoResolved += conflict - manual;
    meter.countDomain(item.domain, { items: 1, conflicts: conflict, manual, auto_resolved: conflict - manual });
  }
  meter.upcastItems += batch.upcast;
}

function uniqueKeys(items: PlannedItem[]): RecordKey[] {
  const keys = new Map<string, RecordKey>();
  for (const item of items)
    keys.set(recordKey(item.domain, item.mobile_id), { domain: item.domain, mobileId: item.mobile_id });
  return [...keys.values()];
}
