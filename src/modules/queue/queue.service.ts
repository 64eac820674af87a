import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { isAdmin } from '../../common/auth/principal';
import { NetworkQuality, Priority, PRIORITY_RANK, priorityFromRank } from '../../common/domain';
import { AppException, ErrorCode } from '../../common/errors/app-exception';
import type { SyncMeter } from '../../common/metering/sync-meter';
import { requireInstant } from '../../common/time/instant';
import { AppConfig } from '../../config/app-config';
import { defaultPolicy } from '../conflict/conflict.policy';
import { ConflictLogService } from '../conflict/conflict-log.service';
import { ConflictPolicyService } from '../conflict/conflict-policy.service';
import { TenantRepository } from '../tenant/tenant.repository';
import { recordKey, SyncRecordRepository } from '../sync/sync-record.repository';
import type {
  OptimalTimeDto,
  PartialSyncDto,
  PartialSyncResponseDto,
  PushRequest,
  PushResponseDto,
  QueueStatusDto,
} from './dto/queue.dto';
import { ClaimFilter, ItemOutcome, NewQueueItem, QueueItemRepository } from './queue-item.repository';
import {
  canonicalJson,
  estimateSyncSeconds,
  isPeakHour,
  ItemResult,
  mutationHash,
  planBatch,
  PlannedItem,
  recommendSyncTime,
} from './queue.policy';

export interface ProcessedBatch {
  items: PlannedItem[];
  results: Map<string, ItemResult>;
}

const DRAIN_BATCH = 50;

@Injectable()
export class QueueService {
  private readonly logger = new Logger(QueueService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly items: QueueItemRepository,
    private readonly records: SyncRecordRepository,
    private readonly conflictPolicies: ConflictPolicyService,
    private readonly conflicts: ConflictLogService,
    private readonly tenants: TenantRepository,
  ) {}

  /** Stores a device's mutations idempotently and (mode process) applies its pending items in one transaction. */
  async push(principal: Principal, request: PushRequest, meter: SyncMeter): Promise<PushResponseDto> {
    const deviceId = requireDevice(principal);
    const now = new Date();
    const clockOffsetMs = request.device_info?.device_time
      ? Math.round(requireInstant(request.device_info.device_time, 'device_info.device_time') - now.getTime())
      : null;
    meter.networkType = request.device_info?.network_type ?? null;
    meter.appVersion = request.device_info?.app_version ?? null;
    meter.osVersion = request.device_info?.os_version ?? null;
    meter.clockOffsetMs = clockOffsetMs;
    meter.items = request.items.length;

    const incoming = this.toQueueItems(request, clockOffsetMs);
    const mode = request.mode ?? 'process';
    const { results, stored, processed } = await this.db.transaction(async (manager) => {
      await this.items.lockDevice(manager, principal.tenantId, deviceId);
      const inserted = await this.items.insertNew(manager, principal.tenantId, deviceId, principal.userId, incoming);
      const insertedIds = new Map(inserted.map((row) => [row.client_mutation_id, row.id]));
      const allNew = inserted.length === incoming.length;
      // Known mutation ids are looked up only when some were not new: a retry, or a reused id.
      const known = allNew
        ? []
        : await this.items.findByMutationIds(
            manager,
            principal.tenantId,
            deviceId,
            incoming.map((item) => item.client_mutation_id),
          );
      const byMutation = new Map(known.map((row) => [row.client_mutation_id, row]));
      const reused = incoming.filter(
        (item) =>
          !insertedIds.has(item.client_mutation_id) &&
          byMutation.get(item.client_mutation_id)?.payload_hash !== item.payload_hash,
      );
      if (reused.length > 0) {
        throw new AppException(
          ErrorCode.MutationIdReused,
          'client_mutation_id already used with a different payload',
          reused.map((item) => ({ client_mutation_id: item.client_mutation_id })),
        );
      }
      let processed: ProcessedBatch = { items: [], results: new Map() };
      if (mode === 'process' && inserted.length > 0) {
        const firstId = inserted.reduce((min, row) => (BigInt(row.id) < BigInt(min) ? row.id : min), inserted[0].id);
        // Fast path: nothing of this device waits before this push, so its own new rows (invisible to anyone else
        // until commit) are the batch; otherwise claim the device's pending items in order.
        processed =
          allNew && !(await this.items.hasPendingBefore(manager, principal.tenantId, deviceId, firstId))
            ? await this.applyItems(
                manager,
                principal.tenantId,
                incoming.map((item) =>
                  toPlanned(item, insertedIds.get(item.client_mutation_id)!, deviceId, principal.userId),
                ),
                process.hrtime.bigint(),
              )
            : await this.processClaim(manager, {
                tenantId: principal.tenantId,
                deviceId,
                userId: null,
                maxPriorityRank: PRIORITY_RANK.low,
                limit: this.config.get('PUSH_MAX_ITEMS') * 2,
              });
      }
      const answers = incoming.map((item): ItemResult & { replayed?: boolean } => {
        const id = insertedIds.get(item.client_mutation_id);
        if (id !== undefined)
          return processed.results.get(id) ?? queuedResult(item.client_mutation_id, item.mobile_id, item.domain);
        const row = byMutation.get(item.client_mutation_id)!;
        return { ...(row.result ?? queuedResult(row.client_mutation_id, row.mobile_id, row.domain)), replayed: true };
      });
      return { results: answers, stored: inserted.length, processed };
    });
    // Counted after commit (the transaction ends right after the feed write, so its lock is held briefly). A replayed
    // mutation was counted by the push that stored it; a failed push keeps the items it attempted.
    meter.items = stored;
    this.count(meter, processed);
    const pending = await this.items.countPending(this.db, principal.tenantId, deviceId, null);
    return { results, remaining: pending.pending };
  }

  /** Processes the caller's most urgent pending items, at most the batch size its network allows. */
  async partialSync(principal: Principal, request: PartialSyncDto, meter: SyncMeter): Promise<PartialSyncResponseDto> {
    const quality = (request.network_quality ?? 'good') as NetworkQuality;
    const batchSize = Math.min(request.max_items ?? 10, this.config.get('BATCH_SIZES')[quality]);
    const priority = (request.priority ?? 'high') as Priority;
    const scope = this.ownerScope(principal);
    const processed = await this.db.transaction((manager) =>
      this.processClaim(manager, {
        tenantId: principal.tenantId,
        ...scope,
        maxPriorityRank: PRIORITY_RANK[priority],
        limit: batchSize,
      }),
    );
    const remaining = (await this.items.countPending(this.db, principal.tenantId, scope.deviceId, scope.userId))
      .pending;
    this.count(meter, processed);
    meter.items = processed.items.length;
    return {
      synced_items: processed.items.map((item) => {
        const result = processed.results.get(item.id);
        return {
          id: item.id,
          client_mutation_id: item.client_mutation_id,
          mobile_id: item.mobile_id,
          domain: item.domain,
          priority: priorityFromRank(item.priority),
          status: result?.status ?? 'queued',
          server_version: result?.server_version ?? null,
        };
      }),
      remaining,
      batch_size: batchSize,
    };
  }

  async queueStatus(principal: Principal): Promise<QueueStatusDto> {
    const scope = this.ownerScope(principal);
    const [counts, msPerItem] = await Promise.all([
      this.items.countPending(this.db, principal.tenantId, scope.deviceId, scope.userId),
      this.items.recentMsPerItem(this.db, principal.tenantId),
    ]);
    return {
      pending_items: counts.pending,
      high_priority: counts.high,
      estimated_sync_time_sec: estimateSyncSeconds(counts.pending, msPerItem),
      queue_healthy:
        counts.pending < this.config.get('QUEUE_HEALTHY_THRESHOLD') &&
        counts.high < this.config.get('HIGH_PRIORITY_THRESHOLD'),
    };
  }

  async optimalTime(principal: Principal, now = new Date()): Promise<OptimalTimeDto> {
    const [tenant, counts] = await Promise.all([
      this.tenants.findById(principal.tenantId),
      this.items.countPending(this.db, principal.tenantId, null, null),
    ]);
    const peak = isPeakHour(tenant?.timezone ?? 'UTC', now, this.config.get('PEAK_HOURS'));
    const decision = recommendSyncTime(counts.pending, peak);
    const next = decision.recommendation === 'sync_now' ? now : new Date(now.getTime() + 30 * 60_000);
    return { ...decision, queue_size: counts.pending, is_peak_hour: peak, next_window_at: next.toISOString() };
  }

  /**
   * Applies whatever stays pending, for every tenant, in small batches. Several replicas may drain at once: claims
   * skip locked items, so no item is processed twice. Returns the number of items processed.
   */
  async drain(maxBatches = 20): Promise<number> {
    let done = 0;
    for (let round = 0; round < maxBatches; round++) {
      const devices = await this.items.pendingDevices(this.db, 10);
      if (devices.length === 0) break;
      let progressed = 0;
      for (const device of devices) {
        const batch = await this.db.transaction((manager) =>
          this.processClaim(manager, {
            tenantId: device.tenant_id,
            deviceId: device.device_id,
            userId: null,
            maxPriorityRank: PRIORITY_RANK.low,
            limit: DRAIN_BATCH,
          }),
        );
        progressed += batch.items.length;
      }
      done += progressed;
      if (progressed === 0) break;
    }
    if (done > 0) this.logger.log(`drained ${done} queued items`);
    return done;
  }

  /** Claims, plans and writes one batch inside the caller's transaction: a fixed number of statements. */
  private async processClaim(manager: EntityManager, filter: ClaimFilter): Promise<ProcessedBatch> {
    const started = process.hrtime.bigint();
    const claimed = await this.items.claim(manager, filter);
    if (claimed.length === 0) return { items: [], results: new Map() };
    const items = await this.withoutSkippedPredecessors(manager, filter.tenantId, claimed);
    if (items.length === 0) return { items: [], results: new Map() };

    return this.applyItems(manager, filter.tenantId, items, started);
  }

  /** Plans and writes a batch of locked (or freshly inserted) items: a fixed number of statements. */
  private async applyItems(
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

  private count(meter: SyncMeter, batch: ProcessedBatch): void {
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

  /** Whose items a caller acts on: its device, else its user's devices, else (admin without user) the tenant. */
  private ownerScope(principal: Principal): { deviceId: string | null; userId: string | null } {
    if (principal.deviceId) return { deviceId: principal.deviceId, userId: null };
    if (principal.userId) return { deviceId: null, userId: principal.userId };
    if (isAdmin(principal)) return { deviceId: null, userId: null };
    throw AppException.validation('X-Device-Id is required for a credential without a user');
  }

  private toQueueItems(request: PushRequest, clockOffsetMs: number | null): NewQueueItem[] {
    const seen = new Set<string>();
    const maxBytes = this.config.get('RECORD_MAX_BYTES');
    return request.items.map((item, index) => {
      if (seen.has(item.client_mutation_id)) {
        throw AppException.validation(`items[${index}].client_mutation_id is repeated in this push`, [
          { field: `items[${index}].client_mutation_id`, message: 'duplicate in this push' },
        ]);
      }
      seen.add(item.client_mutation_id);
      // Canonical JSON has the bytes of compact JSON (keys sorted): one serialisation serves the size and the hash.
      const canonicalData = canonicalJson(item.data);
      if (Buffer.byteLength(canonicalData) > maxBytes) {
        throw AppException.validation(`items[${index}].data is larger than ${maxBytes} bytes`, [
          { field: `items[${index}].data`, message: `at most ${maxBytes} bytes of JSON` },
        ]);
      }
      const clientUpdatedAt = item.client_updated_at ?? null;
      if (clientUpdatedAt !== null) requireInstant(clientUpdatedAt, `items[${index}].client_updated_at`);
      const priority = item.priority ?? 'medium';
      return {
        client_mutation_id: item.client_mutation_id,
        payload_hash: mutationHash(
          {
            domain: item.domain,
            mobile_id: item.mobile_id,
            base_version: item.base_version,
            data: item.data,
            deleted: item.deleted ?? false,
            client_updated_at: clientUpdatedAt,
            priority,
          },
          canonicalData,
        ),
        domain: item.domain,
        mobile_id: item.mobile_id.toLowerCase(),
        base_version: item.base_version,
        payload: item.data,
        deleted: item.deleted ?? false,
        client_updated_at: clientUpdatedAt,
        priority: PRIORITY_RANK[priority],
        clock_offset_ms: clockOffsetMs,
      };
    });
  }
}

function requireDevice(principal: Principal): string {
  if (!principal.deviceId) throw AppException.validation('X-Device-Id header is required to push');
  return principal.deviceId;
}

function queuedResult(clientMutationId: string, mobileId: string, domain: string): ItemResult {
  return {
    client_mutation_id: clientMutationId,
    mobile_id: mobileId,
    domain,
    status: 'queued',
    server_version: null,
    winning_version: null,
    conflict_id: null,
    record: null,
    error: null,
  };
}

function toPlanned(item: NewQueueItem, id: string, deviceId: string, userId: string | null): PlannedItem {
  return {
    id,
    device_id: deviceId,
    user_id: userId,
    client_mutation_id: item.client_mutation_id,
    domain: item.domain,
    mobile_id: item.mobile_id,
    base_version: item.base_version,
    payload: item.payload,
    deleted: item.deleted,
    client_updated_at: item.client_updated_at === null ? null : new Date(item.client_updated_at),
    clock_offset_ms: item.clock_offset_ms,
    priority: item.priority,
  };
}

function uniqueKeys(items: PlannedItem[]): Array<{ domain: string; mobileId: string }> {
  const keys = new Map<string, { domain: string; mobileId: string }>();
  for (const item of items)
    keys.set(recordKey(item.domain, item.mobile_id), { domain: item.domain, mobileId: item.mobile_id });
  return [...keys.values()];
}
