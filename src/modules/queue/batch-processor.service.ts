import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { SyncMeter } from '../../common/metering/sync-meter';
import { defaultPolicy } from '../conflict/conflict.policy';
import { ConflictLogService } from '../conflict/conflict-log.service';
import { ConflictPolicyService } from '../conflict/conflict-policy.service';
import { recordKey, RecordKey, SyncRecordRepository } from '../sync/sync-record.repository';
import { ClaimFilter, ItemOutcome, QueueItemRepository } from './queue-item.repository';
import { ItemResult, planBatch, PlannedItem } from './queue.policy';

export interface ProcessedBatch {
  items: PlannedItem[];
  results: Map<string, ItemResult>;
}

export function emptyBatch(): ProcessedBatch {
  return { items: [], results: new Map() };
}

/**
 * Applies queue items through the conflict engine, one batch per call inside the caller's transaction, in a fixed
 * number of statements whatever the batch size. Push, partial sync and the drain all go through here.
 */
@Injectable()
export class BatchProcessorService {
  constructor(
    private readonly items: QueueItemRepository,
    private readonly records: SyncRecordRepository,
    private readonly conflictPolicies: ConflictPolicyService,
    private readonly conflicts: ConflictLogService,
  ) {}

  async processClaim(manager: EntityManager, filter: ClaimFilter): Promise<ProcessedBatch> {
    const started = process.hrtime.bigint();
    const claimed = await this.items.claim(manager, filter);
    if (claimed.length === 0) return emptyBatch();
    const items = await this.withoutSkippedPredecessors(manager, filter.tenantId, claimed);
    if (items.length === 0) return emptyBatch();
    return this.applyItems(manager, filter.tenantId, items, started);
  }

  /** Plans and writes a batch of locked (or freshly inserted, so invisible to others) items. */
  async applyItems(
    manager: EntityManager,
    tenantId: string,
    items: PlannedItem[],
    started: bigint,
  ): Promise<ProcessedBatch> {
    const keys = uniqueKeys(items);
    await this.records.lock(manager, tenantId, keys);
    const current = await this.records.find(manager, tenantId, keys);
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
    const plan = planBatch({ now: new Date() }, items, current, revisions, policies, defaultPolicy);

    await this.conflicts.recordConflicts(manager, tenantId, plan.conflicts);
    await this.records.writeRevisions(manager, tenantId, plan.writes);
    const outcomes: ItemOutcome[] = items.map((item) => ({
      id: item.id,
      status: plan.statuses.get(item.id)!,
      result: plan.results.get(item.id)!,
    }));
    const msPerItem = Number(process.hrtime.bigint() - started) / 1e6 / items.length;
    await this.items.markDone(manager, tenantId, outcomes, msPerItem);
    // Last: the tenant's feed lock is held from here to commit, so keep that stretch short.
    await this.records.writeCurrent(manager, tenantId, plan.writes);
    return { items, results: plan.results };
  }

  /** Drops items whose earlier pending edit of the same record (same device) is held by another processor. */
  private async withoutSkippedPredecessors(
    manager: EntityManager,
    tenantId: string,
    claimed: PlannedItem[],
  ): Promise<PlannedItem[]> {
    const pending = await this.items.pendingIdsOf(manager, tenantId, claimed);
    const claimedIds = new Set(claimed.map((item) => item.id));
    const blocked = new Set<string>();
    const allowed = new Set<string>();
    for (const row of pending) {
      const chain = `${row.device_id}|${recordKey(row.domain, row.mobile_id)}`;
      if (blocked.has(chain)) continue;
      if (claimedIds.has(row.id)) allowed.add(row.id);
      else blocked.add(chain);
    }
    return claimed.filter((item) => allowed.has(item.id));
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
}

function uniqueKeys(items: PlannedItem[]): RecordKey[] {
  const keys = new Map<string, RecordKey>();
  for (const item of items)
    keys.set(recordKey(item.domain, item.mobile_id), { domain: item.domain, mobileId: item.mobile_id });
  return [...keys.values()];
}
