import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { mapInSlices } from '../../common/async/time-slice';
import { Principal, requireSyncUser } from '../../common/auth/principal';
import { PRIORITY_RANK } from '../../common/domain';
import { AppException, ErrorCode } from '../../common/errors/app-exception';
import type { SyncMeter } from '../../common/metering/sync-meter';
import { requireInstant } from '../../common/time/instant';
import { AppConfig } from '../../config/app-config';
import { PushRequest, PushResponseDto, PushResultDto } from './dto/queue.dto';
import { BatchProcessorService, emptyBatch, meterBatch, ProcessedBatch } from './batch-processor.service';
import { NewQueueItem, QueueItemRepository, StoredItem } from './queue-item.repository';
import { canonicalJson, ItemResult, mutationHash, PlannedItem } from './queue.policy';

/**
 * Takes a device's push: checks what the schema cannot, stores every mutation idempotently (unique per device and
 * user, device and client_mutation_id: a device id is its user's), replays the stored result of a retried one and, in mode process, applies the device's items.
 */
@Injectable()
export class PushIntakeService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly items: QueueItemRepository,
    private readonly processor: BatchProcessorService,
  ) {}

  async push(principal: Principal, request: PushRequest, meter: SyncMeter): Promise<PushResponseDto> {
    requireSyncUser(principal);
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

    const incoming = await this.toQueueItems(request, clockOffsetMs);
    const { results, stored, processed, remaining } = await this.db.transaction(async (manager) => {
      await this.items.lockDevice(manager, principal.tenantId, principal.userId, deviceId);
      return (request.mode ?? 'process') === 'process'
        ? this.storeAndProcess(manager, principal, deviceId, incoming)
        : this.enqueue(manager, principal, deviceId, incoming);
    });
    // Counted after commit: a replayed mutation was counted by the push that stored it; a failed push keeps the
    // items it attempted.
    meter.items = stored;
    meterBatch(meter, processed);
    return { results, remaining };
  }

  /**
   * Mode process, under the device lock. The push's known ids are read first; when none is known and nothing of the
   * device is pending (the common case) the items are the batch: planned and applied, then each queue row is
   * written once with its result, and nothing of the device remains pending. Otherwise the new items are stored and
   * the device's pending items are claimed in order.
   */
  private async storeAndProcess(
    manager: EntityManager,
    principal: Principal,
    deviceId: string,
    incoming: NewQueueItem[],
  ): Promise<PushOutcome> {
    const started = process.hrtime.bigint();
    const { tenantId, userId } = principal;
    const mutationIds = incoming.map((item) => item.client_mutation_id);
    const { known, pendingBefore } = await this.items.findKnown(manager, tenantId, deviceId, userId, mutationIds);
    const byMutation = new Map(known.map((row) => [row.client_mutation_id, row]));
    rejectReusedIds(incoming, byMutation);
    if (known.length === 0 && !pendingBefore && incoming.length > 0) {
      const planned = incoming.map((item, index) => toPlanned(item, String(index + 1), deviceId, userId));
      const batch = await this.processor.applyItems(manager, tenantId, planned, started, principal, {
        deviceId,
        userId,
        rows: incoming,
      });
      const results = planned.map((item) => PushResultDto.from(batch.results.get(item.id)!));
      return { results, stored: incoming.length, processed: batch, remaining: 0 };
    }
    const fresh = incoming.filter((item) => !byMutation.has(item.client_mutation_id));
    const inserted = fresh.length > 0 ? await this.items.insertNew(manager, tenantId, deviceId, userId, fresh) : [];
    const insertedIds = new Map(inserted.map((row) => [row.client_mutation_id, row.id]));
    const processed =
      inserted.length > 0
        ? await this.processor.processClaim(
            manager,
            {
              tenantId,
              deviceId,
              userId,
              maxPriorityRank: PRIORITY_RANK.low,
              limit: this.config.get('PUSH_MAX_ITEMS') * 2,
            },
            principal,
          )
        : emptyBatch();
    return this.answer(manager, principal, deviceId, incoming, insertedIds, byMutation, processed);
  }

  /** Mode enqueue, under the device lock: stores the new items, applies nothing. */
  private async enqueue(
    manager: EntityManager,
    principal: Principal,
    deviceId: string,
    incoming: NewQueueItem[],
  ): Promise<PushOutcome> {
    const { tenantId, userId } = principal;
    const inserted = await this.items.insertNew(manager, tenantId, deviceId, userId, incoming);
    const insertedIds = new Map(inserted.map((row) => [row.client_mutation_id, row.id]));
    // Known mutation ids are looked up only when some were not new: a retry, or a reused id.
    const known =
      inserted.length === incoming.length
        ? []
        : await this.items.findByMutationIds(
            manager,
            tenantId,
            userId,
            deviceId,
            incoming.map((item) => item.client_mutation_id),
          );
    const byMutation = new Map(known.map((row) => [row.client_mutation_id, row]));
    rejectReusedIds(incoming, byMutation);
    return this.answer(manager, principal, deviceId, incoming, insertedIds, byMutation, emptyBatch());
  }

  /**
   * Each item's result: from this push's batch, else queued, else (a retry) the stored one, replayed. Pending items are
   * counted inside the transaction, under the device lock: once the commit succeeded, nothing can fail the push.
   */
  private async answer(
    manager: EntityManager,
    principal: Principal,
    deviceId: string,
    incoming: NewQueueItem[],
    insertedIds: Map<string, string>,
    byMutation: Map<string, StoredItem>,
    processed: ProcessedBatch,
  ): Promise<PushOutcome> {
    const results = incoming.map((item): PushResultDto => {
      const id = insertedIds.get(item.client_mutation_id);
      if (id !== undefined)
        return PushResultDto.from(
          processed.results.get(id) ?? queuedResult(item.client_mutation_id, item.mobile_id, item.domain),
        );
      const row = byMutation.get(item.client_mutation_id)!;
      return PushResultDto.from(row.result ?? queuedResult(row.client_mutation_id, row.mobile_id, row.domain), true);
    });
    const { pending: remaining } = await this.items.countPending(
      manager,
      principal.tenantId,
      deviceId,
      principal.userId,
    );
    return { results, stored: insertedIds.size, processed, remaining };
  }

  /** In slices of the event loop: hashing 1,000 items of a full body is 50–200 ms of work. */
  private toQueueItems(request: PushRequest, clockOffsetMs: number | null): Promise<NewQueueItem[]> {
    const seen = new Set<string>();
    const maxBytes = this.config.get('RECORD_MAX_BYTES');
    return mapInSlices(request.items, (item, index) => {
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
            schema_version: item.schema_version,
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
        schema_version: item.schema_version ?? null,
      };
    });
  }
}

interface PushOutcome {
  results: PushResultDto[];
  /** Items this push stored (a replayed one was counted by the push that stored it). */
  stored: number;
  processed: ProcessedBatch;
  remaining: number;
}

function requireDevice(principal: Principal): string {
  if (!principal.deviceId) throw AppException.validation('X-Device-Id header is required to push');
  return principal.deviceId;
}

/** A known client_mutation_id must come back with the payload it was stored with. */
function rejectReusedIds(incoming: NewQueueItem[], byMutation: Map<string, StoredItem>): void {
  const reused = incoming.filter((item) => {
    const stored = byMutation.get(item.client_mutation_id);
    return stored !== undefined && stored.payload_hash !== item.payload_hash;
  });
  if (reused.length > 0) {
    throw new AppException(
      ErrorCode.MutationIdReused,
      'client_mutation_id already used with a different payload',
      reused.map((item) => ({
        client_mutation_id: item.client_mutation_id,
        message: 'already used with a different payload',
      })),
    );
  }
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
    schema_version: item.schema_version,
  };
}
