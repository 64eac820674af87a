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
      const { inserted, pendingBefore } = await this.items.insertNew(
        manager,
        principal.tenantId,
        deviceId,
        principal.userId,
        incoming,
      );
      const insertedIds = new Map(inserted.map((row) => [row.client_mutation_id, row.id]));
      const allNew = inserted.length === incoming.length;
      // Known mutation ids are looked up only when some were not new: a retry, or a reused id.
      const known = allNew
        ? []
        : await this.items.findByMutationIds(
            manager,
            principal.tenantId,
            principal.userId,
            deviceId,
            incoming.map((item) => item.client_mutation_id),
          );
      const byMutation = new Map(known.map((row) => [row.client_mutation_id, row]));
      rejectReusedIds(incoming, insertedIds, byMutation);
      const { batch: processed, settled } =
        (request.mode ?? 'process') === 'process' && inserted.length > 0
          ? await this.processAfterInsert(manager, principal, deviceId, incoming, insertedIds, allNew && !pendingBefore)
          : { batch: emptyBatch(), settled: false };
      const results = incoming.map((item): PushResultDto => {
        const id = insertedIds.get(item.client_mutation_id);
        if (id !== undefined)
          return PushResultDto.from(
            processed.results.get(id) ?? queuedResult(item.client_mutation_id, item.mobile_id, item.domain),
          );
        const row = byMutation.get(item.client_mutation_id)!;
        return PushResultDto.from(row.result ?? queuedResult(row.client_mutation_id, row.mobile_id, row.domain), true);
      });
      // Counted inside the transaction, under the device lock: once the commit succeeded, nothing can fail the push.
      // A settled batch held every pending item of the device (no other push of it runs), so none remains.
      const remaining = settled
        ? 0
        : (await this.items.countPending(manager, principal.tenantId, deviceId, principal.userId)).pending;
      return { results, stored: inserted.length, processed, remaining };
    });
    // Counted after commit: a replayed mutation was counted by the push that stored it; a failed push keeps the
    // items it attempted.
    meter.items = stored;
    meterBatch(meter, processed);
    return { results, remaining };
  }

  /**
   * Fast path (`alone`: every item new, nothing of this device pending before): this push's own new rows
   * (invisible to anyone else until commit) are the batch, and once applied nothing of the device is pending
   * (`settled`); otherwise the device's pending items are claimed in order.
   */
  private async processAfterInsert(
    manager: EntityManager,
    principal: Principal,
    deviceId: string,
    incoming: NewQueueItem[],
    insertedIds: Map<string, string>,
    alone: boolean,
  ): Promise<{ batch: ProcessedBatch; settled: boolean }> {
    if (alone) {
      const planned = incoming.map((item) =>
        toPlanned(item, insertedIds.get(item.client_mutation_id)!, deviceId, principal.userId),
      );
      const batch = await this.processor.applyItems(
        manager,
        principal.tenantId,
        planned,
        process.hrtime.bigint(),
        principal,
      );
      return { batch, settled: true };
    }
    const batch = await this.processor.processClaim(
      manager,
      {
        tenantId: principal.tenantId,
        deviceId,
        userId: principal.userId,
        maxPriorityRank: PRIORITY_RANK.low,
        limit: this.config.get('PUSH_MAX_ITEMS') * 2,
      },
      principal,
    );
    return { batch, settled: false };
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

function requireDevice(principal: Principal): string {
  if (!principal.deviceId) throw AppException.validation('X-Device-Id header is required to push');
  return principal.deviceId;
}

/** A known client_mutation_id must come back with the payload it was stored with. */
function rejectReusedIds(
  incoming: NewQueueItem[],
  insertedIds: Map<string, string>,
  byMutation: Map<string, StoredItem>,
): void {
  const reused = incoming.filter(
    (item) =>
      !insertedIds.has(item.client_mutation_id) &&
      byMutation.get(item.client_mutation_id)?.payload_hash !== item.payload_hash,
  );
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
